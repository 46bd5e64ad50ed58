/**
 * Relay benchmark: `npm run bench:relay` (BENCH_RELAY_MESSAGES, default 400;
 * BENCH_RELAY_CLIENTS concurrent SMTP clients, default 4).
 *
 * In one run, the same clients (nodemailer pools: STARTTLS, AUTH, one
 * recipient per message), in a process of their own so that their TLS and
 * MIME work does not take the CPU of the server under test, send the same
 * messages to:
 *   (a) a bare smtp-server with the same TLS and AUTH that accepts and
 *       counts each message (the baseline);
 *   (b) Herald's relay (api, worker and relay in this process), which
 *       stores each message before its 250 and delivers it onward through
 *       a sender into a counting sink.
 * The headline is (b) / (a) in messages accepted per second; target >= 0.5,
 * with every accepted message delivered exactly once.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { ApiKeysService, AuthService } from '@herald/auth';
import { loadConfig, prepareProcess } from '@herald/common';
import { selfSignedCertificate } from '@herald/delivery';
import { RelayServer } from '@herald/relay';
import { createApiApp } from '../apps/api/src/app.js';
import { migrations } from '../migrations/index.js';
import { admin, databaseUrl, fmt } from './lib/postgres.js';
import { dropPrefix, runPrefix } from './lib/redis.js';

const MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 400);
const CLIENTS = Number(process.env.BENCH_RELAY_CLIENTS ?? 4);
const TARGET_RATIO = 0.5;
const DB_NAME = 'herald_bench_relay';
const FROM = 'app@bench-relay.example.org';
const LOAD_SCRIPT = fileURLToPath(new URL('./lib/smtp-load.js', import.meta.url));

/** A counting SMTP server; `tls` makes it the baseline (STARTTLS and AUTH like the relay's). */
async function countingServer(tls?: { key: string; cert: string }) {
  const copies = new Map<string, number>();
  let accepted = 0;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    ...(tls === undefined ? { authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] } : { ...tls }),
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (_auth, _session, callback) => callback(null, { user: 'bench' }),
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) copies.set(r.address, (copies.get(r.address) ?? 0) + 1);
        accepted += 1;
        callback(null, 'OK');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    copies,
    accepted: () => accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Sends MESSAGES messages over CLIENTS pooled connections from a process of
 * its own (bench/lib/smtp-load.ts); returns messages accepted per second.
 */
function drive(port: number, pass: string, prefix: string): Promise<number> {
  const spec = JSON.stringify({ port, pass, prefix, messages: MESSAGES, clients: CLIENTS, from: FROM });
  const child = spawn(process.execPath, [LOAD_SCRIPT, spec], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0
        ? resolve((JSON.parse(out.trim().split('\n').pop() as string) as { perSecond: number }).perSecond)
        : reject(new Error(`smtp-load exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  const env = {
    DATABASE_URL: databaseUrl(DB_NAME),
    HERALD_QUEUE_PREFIX: runPrefix('relay'),
    HERALD_RELAY_LISTEN: '0:starttls',
    HERALD_RELAY_BIND: '127.0.0.1',
    HERALD_RELAY_RATE_PER_MINUTE: '1000000',
    HERALD_SANDBOX_ENABLED: 'false',
    HERALD_SCHEDULER_TICK_MS: '500',
    LOG_LEVEL: 'error',
    PORT: '0',
  };
  Object.assign(process.env, env);
  await prepareProcess({ migrations });
  const config = loadConfig();

  const tls = selfSignedCertificate('bench.localhost');
  const baseline = await countingServer(tls);
  const baselineRate = await drive(baseline.port, 'anything', 'base');
  const baselineOnce = [...baseline.copies.values()].every((n) => n === 1) && baseline.copies.size === MESSAGES;
  await baseline.close();

  const onward = await countingServer();
  const app = await createApiApp(config, { withWorker: true, withRelay: true });
  await app.init();
  try {
    const userId = await app.get(AuthService).createUser('bench@example.com', 'bench-password-123', 'admin');
    const { key } = await app.get(ApiKeysService).create(userId, 'bench', { scope: 'relay' });
    const { port: relayPort } = app.get(RelayServer).listeners()[0];
    const pgClient = (await import('pg')).default;
    const db = new pgClient.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    await db.query(
      `INSERT INTO senders (name, host, port, security, from_email, postal_address, rate_per_second, pool_size)
       VALUES ('bench', '127.0.0.1', $1, 'none', $2, '1 Main Street', 100000, 8)`,
      [onward.port, FROM],
    );
    const relayRate = await drive(relayPort, key, 'relay');
    const deadline = Date.now() + 120_000;
    while (onward.accepted() < MESSAGES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM messages GROUP BY status`,
    );
    await db.end();
    const deliveredOnce = [...onward.copies.values()].every((n) => n === 1) && onward.copies.size === MESSAGES;
    const ratio = relayRate / baselineRate;
    console.log(`relay benchmark: ${fmt(MESSAGES)} messages from ${CLIENTS} concurrent SMTP clients (STARTTLS + AUTH)`);
    console.log(`  bare smtp-server: ${baselineRate.toFixed(1)} messages/s accepted (each once: ${baselineOnce})`);
    console.log(`  Herald relay:     ${relayRate.toFixed(1)} messages/s accepted, stored before each 250`);
    console.log(
      `  delivered onward: ${fmt(onward.accepted())} of ${fmt(MESSAGES)}, each exactly once: ${deliveredOnce}`,
    );
    console.log(`  rows by status:   ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}`);
    console.log(`  ratio:            ${ratio.toFixed(2)} (target >= ${TARGET_RATIO})`);
    if (!deliveredOnce) process.exitCode = 1;
  } finally {
    await app.close();
    await onward.close();
    await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await dropPrefix(config.REDIS_URL, env.HERALD_QUEUE_PREFIX);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
