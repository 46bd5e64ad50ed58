/**
 * Relay benchmark: `npm run bench:relay` (BENCH_RELAY_MESSAGES a round, default
 * 5000; BENCH_RELAY_CLIENTS concurrent SMTP clients, default 4;
 * BENCH_RELAY_ROUNDS, default 3, after BENCH_RELAY_WARM_UP messages, default
 * 2000, through each side that are not counted).
 *
 * In one run, the same clients (nodemailer pools: STARTTLS, AUTH, one
 * recipient per message, in a process of their own) send the same messages
 * to:
 *   (a) a bare smtp-server with the same TLS and AUTH that accepts and
 *       counts each message (the baseline), in a process of its own;
 *   (b) Herald as deployed: a relay process (`apps/relay`), which stores
 *       each message before its 250, and a worker process (`apps/worker`),
 *       which delivers it onward through a sender into a counting sink (the
 *       receiving MX, a process of its own). An api process, idle during
 *       the run, only sets up the key.
 * Rounds alternate (a) and (b) on the same running processes. The headline
 * is the median over the rounds of (b) / (a) in messages accepted per
 * second; target >= 0.5, with every accepted message delivered exactly
 * once. CPU per message of each Herald process, of Postgres and of the
 * clients shows where the time goes.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { selfSignedCertificate } from '@herald/delivery';
import { admin, databaseUrl, fmt } from './lib/postgres.js';
import {
  cpuSeconds,
  postgresBackendsCpuSeconds,
  startNode,
  stop,
  waitForHealth,
  waitForOutput,
} from './lib/processes.js';
import { Sink, type SinkCount } from './lib/sink-process.js';

const MESSAGES = Number(process.env.BENCH_RELAY_MESSAGES ?? 5000);
const CLIENTS = Number(process.env.BENCH_RELAY_CLIENTS ?? 4);
const ROUNDS = Number(process.env.BENCH_RELAY_ROUNDS ?? 3);
const WARM_UP = Number(process.env.BENCH_RELAY_WARM_UP ?? 2000);
const TARGET_RATIO = 0.5;
const DB_NAME = 'herald_bench_relay';
const PORT = process.env.BENCH_PORT ?? '3919';
const PUBLIC_URL = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: 'bench@example.com', password: 'bench-password-123' };
const FROM = 'app@bench-relay.example.org';
const LOAD_SCRIPT = fileURLToPath(new URL('./lib/smtp-load.js', import.meta.url));

/**
 * Sends MESSAGES messages over CLIENTS pooled connections from a process of
 * its own (bench/lib/smtp-load.ts); returns messages accepted per second.
 */
function drive(
  port: number,
  pass: string,
  prefix: string,
  messages = MESSAGES,
): Promise<{ rate: number; clientCpu: number }> {
  const spec = JSON.stringify({ port, pass, prefix, messages, clients: CLIENTS, from: FROM });
  const child = spawn(process.execPath, [LOAD_SCRIPT, spec], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`smtp-load exited ${code}`));
      const result = JSON.parse(out.trim().split('\n').pop() as string) as { perSecond: number; cpuSeconds: number };
      resolve({ rate: result.perSecond, clientCpu: result.cpuSeconds });
    });
  });
}

const eachOnce = (count: SinkCount) =>
  count.messages === MESSAGES && count.recipients === MESSAGES && count.repeated === 0;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Round {
  base: { rate: number; once: boolean; cpu: number; clientCpu: number };
  relay: {
    rate: number;
    clientCpu: number;
    delivered: SinkCount;
    cpu: { relay: number; worker: number; postgres: number };
  };
}

/** Herald as deployed, on a fresh database: api (for the key), worker and relay processes, and the onward sink. */
async function startHerald() {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(DB_NAME),
    PORT,
    HOST: '127.0.0.1',
    PUBLIC_URL,
    HERALD_QUEUE_PREFIX: `herald-bench-relay-${process.pid}`,
    HERALD_ADMIN_EMAIL: ADMIN.email,
    HERALD_ADMIN_PASSWORD: ADMIN.password,
    HERALD_SANDBOX_ENABLED: 'false',
    HERALD_RELAY_LISTEN: '0:starttls',
    HERALD_RELAY_BIND: '127.0.0.1',
    HERALD_RELAY_RATE_PER_MINUTE: '1000000',
    HERALD_INBOUND_PORT: '0',
    HERALD_INBOUND_BIND: '127.0.0.1',
    LOG_LEVEL: 'error',
  };
  const onward = await new Sink().start();
  const children: ChildProcess[] = [];
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  const close = async () => {
    await db.end().catch(() => undefined);
    for (const child of children.reverse()) await stop(child);
    await onward.stop();
    await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  };
  try {
    const api = startNode('api', 'dist/apps/api/src/main.js', env);
    children.push(api);
    await waitForHealth(PUBLIC_URL, api);
    await db.connect();
    await db.query(
      `INSERT INTO senders (name, host, port, security, from_email, postal_address, rate_per_second, pool_size)
       VALUES ('bench', '127.0.0.1', $1, 'none', $2, '1 Main Street', 100000, 8)`,
      [onward.port, FROM],
    );
    const key = await relayKey();
    const later = { ...env, HERALD_MIGRATE_ON_START: 'false' };
    const worker = startNode('worker', 'dist/apps/worker/src/main.js', later);
    children.push(worker);
    await waitForOutput(worker, /processing jobs/);
    const relay = startNode('relay', 'dist/apps/relay/src/main.js', later);
    children.push(relay);
    const port = Number((await waitForOutput(relay, /listening on (\d+) \(starttls\)/))[1]);
    return { port, key, relay, worker, onward, db, close };
  } catch (error) {
    await close();
    throw error;
  }
}

type Herald = Awaited<ReturnType<typeof startHerald>>;

/** What the onward sink has taken once it has `count` messages, or two minutes passed. */
async function deliveredOnward(herald: Herald, count: number): Promise<SinkCount> {
  const deadline = Date.now() + 120_000;
  let delivered = await herald.onward.count();
  while (delivered.messages < count && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    delivered = await herald.onward.count();
  }
  return delivered;
}

/** One pass of the clients through the relay, with every message delivered onward (or two minutes passed). */
async function relayRound(herald: Herald, round: number): Promise<Round['relay']> {
  await herald.onward.reset();
  const before = {
    relay: cpuSeconds(herald.relay.pid),
    worker: cpuSeconds(herald.worker.pid),
    postgres: postgresBackendsCpuSeconds(DB_NAME),
  };
  const { rate, clientCpu } = await drive(herald.port, herald.key, `relay${round}-`);
  const delivered = await deliveredOnward(herald, MESSAGES);
  const cpu = {
    relay: cpuSeconds(herald.relay.pid) - before.relay,
    worker: cpuSeconds(herald.worker.pid) - before.worker,
    postgres: postgresBackendsCpuSeconds(DB_NAME) - before.postgres,
  };
  return { rate, clientCpu, delivered, cpu };
}

/** One pass of the clients through the bare server. */
async function baseRound(sink: Sink, round: number): Promise<Round['base']> {
  await sink.reset();
  const before = cpuSeconds(sink.pid);
  const { rate, clientCpu } = await drive(sink.port, 'anything', `base${round}-`);
  return { rate, clientCpu, once: eachOnce(await sink.count()), cpu: cpuSeconds(sink.pid) - before };
}

/** A relay-scoped API key, made through the API as an application's operator would. */
async function relayKey(): Promise<string> {
  const post = async <T>(path: string, body: unknown, token?: string): Promise<T> => {
    const res = await fetch(`${PUBLIC_URL}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const { token } = await post<{ token: string }>('/auth/login', ADMIN);
  return (await post<{ key: string }>('/api-keys', { name: 'bench', scope: 'relay' }, token)).key;
}

async function main(): Promise<void> {
  const tls = selfSignedCertificate('bench.localhost');
  const bare = await new Sink({ SINK_TLS_KEY: tls.key, SINK_TLS_CERT: tls.cert }).start();
  const herald = await startHerald().catch(async (error: unknown) => {
    await bare.stop();
    throw error;
  });
  const rounds: Round[] = [];
  let statuses: string;
  try {
    // Not counted: both servers' code compiled hot, the relay's delivery under way.
    await drive(bare.port, 'anything', 'warm-', WARM_UP);
    await drive(herald.port, herald.key, 'warm-', WARM_UP);
    await deliveredOnward(herald, WARM_UP);
    // As a running install has them: statistics of tables that were empty a minute ago, which autovacuum
    // would gather within its next minute, so that plans look rows up by index rather than scan tables.
    await herald.db.query('ANALYZE');
    // Interleaved, so that whatever else the machine does falls on both sides alike.
    for (let round = 1; round <= ROUNDS; round++) {
      rounds.push({ base: await baseRound(bare, round), relay: await relayRound(herald, round) });
    }
    // A message is counted at the sink before its outcome is written (sent outcomes are written in batches).
    for (let waited = 0; waited < 10_000; waited += 100) {
      const pending = await herald.db.query(`SELECT 1 FROM messages WHERE status IN ('queued', 'sending') LIMIT 1`);
      if (pending.rowCount === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const { rows } = await herald.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM messages GROUP BY status ORDER BY status`,
    );
    statuses = rows.map((r) => `${r.status} ${r.n}`).join(', ');
  } finally {
    await herald.close();
    await bare.stop();
  }
  const ms = (seconds: number) => `${((seconds * 1000) / MESSAGES).toFixed(2)} ms`;
  console.log(
    `relay benchmark: ${fmt(MESSAGES)} messages a round, ${ROUNDS} rounds, from ${CLIENTS} concurrent SMTP clients (STARTTLS + AUTH)`,
  );
  for (const [i, { base, relay }] of rounds.entries()) {
    console.log(
      `  round ${i + 1}: bare ${base.rate.toFixed(0)}/s (cpu ${ms(base.cpu)} a message, clients ${ms(base.clientCpu)}); ` +
        `relay ${relay.rate.toFixed(0)}/s (cpu: relay ${ms(relay.cpu.relay)}, worker ${ms(relay.cpu.worker)}, ` +
        `postgres ${ms(relay.cpu.postgres)}, clients ${ms(relay.clientCpu)}); ratio ${(relay.rate / base.rate).toFixed(2)}`,
    );
  }
  const baseOnce = rounds.every((r) => r.base.once);
  const deliveredOnce = rounds.every((r) => eachOnce(r.relay.delivered));
  const ratio = median(rounds.map((r) => r.relay.rate / r.base.rate));
  console.log(
    `  bare smtp-server: median ${median(rounds.map((r) => r.base.rate)).toFixed(1)} messages/s, each once: ${baseOnce}`,
  );
  console.log(
    `  Herald relay:     median ${median(rounds.map((r) => r.relay.rate)).toFixed(1)} messages/s, stored before each 250`,
  );
  console.log(`  delivered onward: every round, each message exactly once: ${deliveredOnce}`);
  console.log(`  rows by status:   ${statuses}`);
  console.log(`  ratio:            ${ratio.toFixed(2)} (median of the rounds; target >= ${TARGET_RATIO})`);
  if (!deliveredOnce || !baseOnce) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
