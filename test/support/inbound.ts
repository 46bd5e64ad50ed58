import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';

/**
 * Hands `raw` to an inbound listener on `port` as an MTA would: one
 * recipient, the null sender unless `from` says otherwise; in the clear, or
 * through STARTTLS (required) with `starttls`'s options. Resolves with the
 * listener's answer.
 */
export async function deliverInbound(
  port: number,
  to: string,
  raw: Buffer | string,
  { from = '', starttls }: { from?: string; starttls?: ConnectionOptions } = {},
): Promise<{ response: string }> {
  const transport = nodemailer.createTransport(
    starttls === undefined
      ? { host: '127.0.0.1', port, secure: false, ignoreTLS: true }
      : { host: '127.0.0.1', port, secure: false, requireTLS: true, tls: starttls },
  );
  try {
    return await transport.sendMail({ envelope: { from, to: [to] }, raw });
  } finally {
    transport.close();
  }
}
