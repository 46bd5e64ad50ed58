/**
 * SMTP load from a process of its own (the server under test must not share
 * its CPU with the clients' TLS and MIME work): `node smtp-load.js <json>`
 * with `{ port, pass, prefix, messages, clients, from }` sends `messages`
 * messages over `clients` pooled nodemailer connections (STARTTLS required,
 * AUTH, one recipient `<prefix><n>@example.com` per message) and prints the
 * messages accepted per second, and the CPU seconds the clients used, as
 * one JSON line.
 */
import nodemailer from 'nodemailer';

interface SmtpLoadSpec {
  port: number;
  pass: string;
  prefix: string;
  messages: number;
  clients: number;
  from: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as SmtpLoadSpec;
  const mailers = Array.from({ length: spec.clients }, () =>
    nodemailer.createTransport({
      pool: true,
      maxConnections: 1,
      maxMessages: Infinity,
      host: '127.0.0.1',
      port: spec.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'apikey', pass: spec.pass },
    }),
  );
  let next = 0;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    mailers.map(async (mailer) => {
      for (let i = next++; i < spec.messages; i = next++) {
        await mailer.sendMail({
          from: `Bench <${spec.from}>`,
          to: `${spec.prefix}${i}@example.com`,
          subject: `Order ${i} confirmed`,
          text: `Thank you for order ${i}.\n`.repeat(40),
          html: `<p>Thank you for order ${i}.</p>`.repeat(40),
        });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const mailer of mailers) mailer.close();
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ perSecond: spec.messages / seconds, cpuSeconds })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
