/**
 * Send benchmark: `npm run bench:send` (BENCH_RECIPIENTS=10000 for a quick run).
 *
 * In one run, into the same counting SMTP sink (its own process):
 *   (a) Herald end to end: a campaign of BENCH_RECIPIENTS contacts with the
 *       realistic newsletter template, open and click tracking on, from
 *       `POST /campaigns/:id/send` until its report says `sent`, with the api
 *       and the worker as separate processes;
 *   (b) the baseline: a plain nodemailer pool of the same size sending as
 *       many messages that nodemailer composes from pre-rendered HTML and
 *       text (rendered before the clock starts), with the same unsubscribe
 *       headers.
 * The headline is (a) / (b) in messages/s: floor >= 1.0 with the worker's
 * peak RSS <= 400 MB, goal >= 1.8. BENCH_ONLY=baseline runs (b) alone.
 */
import type { ChildProcess } from 'node:child_process';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { type AppSecret, type HeraldConfig } from '@herald/common';
import { MessageRenderer } from '@herald/templates';
import { NEWSLETTER_MJML } from './fixtures/newsletter.js';
import { admin, databaseUrl, fmt } from './lib/postgres.js';
import {
  cpuSeconds,
  peakRssMb,
  postgresCpuSeconds,
  startNode,
  stop,
  waitForHealth,
  waitForOutput,
} from './lib/processes.js';
import { Sink } from './lib/sink-process.js';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 100_000);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 4);
const FLOOR_RATIO = 1.0;
const GOAL_RATIO = 1.8;
const TARGET_RSS_MB = 400;
const DB_NAME = 'herald_bench_send';
const PORT = process.env.BENCH_PORT ?? '3918';
const PUBLIC_URL = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: 'bench@example.com', password: 'bench-password-123' };
const FROM = { name: 'Example Newsletter', address: 'news@example.org' };
const POSTAL = '1 Main Street, Springfield';
const SUBJECT = 'News for {{default first_name "you"}} at {{company}}';
const PREHEADER = 'Eight stories, one account update and an invitation, {{first_name}}.';

const contactData = (i: number) => ({
  email: `person${i}@example${i % 50}.com`,
  first_name: i % 10 === 0 ? null : `First${i}`,
  last_name: `Last ${i}`,
  attributes: {
    company: `Company ${i % 500}`,
    city: 'Lisbon',
    country: 'Portugal',
    plan: i % 3 ? 'team' : 'pro',
    points: i,
  },
});

/** (b) nodemailer's pool composing every message from pre-rendered parts. */
async function baseline(sink: Sink): Promise<{ ms: number }> {
  const renderer = new MessageRenderer(
    { PUBLIC_URL } as HeraldConfig,
    {
      value: Buffer.from('bench-secret'),
    } as AppSecret,
  );
  const compiled = await renderer.compile(
    { subject: SUBJECT, preheader: PREHEADER, format: 'mjml', body: NEWSLETTER_MJML },
    { sender: { name: FROM.name, address: POSTAL } },
  );
  // Distinct rendered messages, cycled: holding RECIPIENTS of them would need gigabytes.
  const prepared = Array.from({ length: 1000 }, (_, i) =>
    renderer.render(compiled, { messageId: String(i + 1), contact: contactData(i) }),
  );
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: POOL_SIZE,
    maxMessages: Infinity,
  });
  await sink.reset();
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= RECIPIENTS) return;
      const m = prepared[i % prepared.length];
      const unsubscribe = `${PUBLIC_URL}/u/${m.token}`;
      await transport.sendMail({
        from: { name: FROM.name, address: FROM.address },
        to: contactData(i).email,
        subject: m.subject,
        html: m.html,
        text: m.text,
        messageId: `<m${i + 1}.${m.token}@example.org>`,
        envelope: { from: `bounce+${m.token}@example.org`, to: contactData(i).email },
        headers: {
          'List-Unsubscribe': `<${unsubscribe}>, <mailto:unsubscribe+${m.token}@example.org>`,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          'Feedback-ID': `bench:1:campaign:herald`,
        },
      });
    }
  };
  // Enough messages in flight to keep every pooled connection busy.
  await Promise.all(Array.from({ length: POOL_SIZE * 8 }, lane));
  const ms = Date.now() - started;
  transport.close();
  const received = (await sink.count()).messages;
  if (received !== RECIPIENTS) throw new Error(`baseline: the sink received ${received} of ${RECIPIENTS}`);
  return { ms };
}

interface Api {
  <T>(method: string, path: string, body?: unknown): Promise<T>;
}

function apiClient(token: string): Api {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${PUBLIC_URL}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

/** (a) Herald end to end. */
async function herald(sink: Sink): Promise<{ ms: number; rss: number | undefined; cpu: Record<string, number> }> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(DB_NAME),
    PORT,
    HOST: '127.0.0.1',
    PUBLIC_URL,
    HERALD_QUEUE_PREFIX: `herald-bench-${process.pid}`,
    HERALD_ADMIN_EMAIL: ADMIN.email,
    HERALD_ADMIN_PASSWORD: ADMIN.password,
    HERALD_SANDBOX_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  };
  const api = startNode('api', 'dist/apps/api/src/main.js', env);
  let worker: ChildProcess | undefined;
  const db = new pg.Client({ connectionString: databaseUrl(DB_NAME) });
  try {
    await waitForHealth(PUBLIC_URL, api);
    worker = startNode('worker', 'dist/apps/worker/src/main.js', { ...env, HERALD_MIGRATE_ON_START: 'false' });
    await waitForOutput(worker, /processing jobs/);
    await db.connect();
    await db.query(`INSERT INTO fields (name, type) VALUES ('company', 'text'), ('city', 'text'), ('country', 'text'),
      ('plan', 'text'), ('points', 'number')`);
    const list = await db.query<{ id: string }>(`INSERT INTO lists (name) VALUES ('Newsletter') RETURNING id`);
    await db.query(
      `WITH c AS (
         INSERT INTO contacts (email, first_name, last_name, attributes)
         SELECT 'person' || i || '@example' || (i % 50) || '.com',
                CASE WHEN i % 10 = 0 THEN NULL ELSE 'First' || i END, 'Last ' || i,
                jsonb_build_object('company', 'Company ' || (i % 500), 'city', 'Lisbon', 'country', 'Portugal',
                                   'plan', CASE WHEN i % 3 = 0 THEN 'pro' ELSE 'team' END, 'points', i)
         FROM generate_series(0, $1::int - 1) AS i
         RETURNING id)
       INSERT INTO list_members (list_id, contact_id) SELECT $2, id FROM c`,
      [RECIPIENTS, list.rows[0].id],
    );
    await db.query('ANALYZE');

    const login = await fetch(`${PUBLIC_URL}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const { token } = (await login.json()) as { token: string };
    const call = apiClient(token);
    const sender = await call<{ id: string }>('POST', '/senders', {
      name: 'Bench sink',
      host: '127.0.0.1',
      port: sink.port,
      security: 'none',
      fromEmail: FROM.address,
      fromName: FROM.name,
      postalAddress: POSTAL,
      // The highest rate a sender takes: Herald's figure cannot exceed it.
      ratePerSecond: 1000,
      poolSize: POOL_SIZE,
    });
    const template = await call<{ id: string }>('POST', '/templates', {
      name: 'Newsletter',
      subject: SUBJECT,
      preheader: PREHEADER,
      format: 'mjml',
      body: NEWSLETTER_MJML,
    });
    const campaign = await call<{ id: string }>('POST', '/campaigns', {
      name: 'Bench',
      templateId: template.id,
      senderIds: [sender.id],
      audience: { listIds: [list.rows[0].id] },
      trackOpens: true,
      trackClicks: true,
    });

    await sink.reset();
    const cpuBefore = { api: cpuSeconds(api.pid), worker: cpuSeconds(worker.pid), postgres: postgresCpuSeconds() };
    const started = Date.now();
    await call('POST', `/campaigns/${campaign.id}/send`);
    // The campaign's state is cheap to read; the report counts its messages,
    // so it is read only for the progress line, as a dashboard would.
    let lastPrint = Date.now();
    for (;;) {
      const { state } = await call<{ state: string }>('GET', `/campaigns/${campaign.id}`);
      if (state === 'sent' || state === 'failed' || state === 'paused') break;
      if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        const progress = await call<{ sent: number }>('GET', `/campaigns/${campaign.id}/report`);
        console.log(`  sent ${fmt(progress.sent)} of ${fmt(RECIPIENTS)} (${state})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = Date.now() - started;
    const cpu = {
      api: cpuSeconds(api.pid) - cpuBefore.api,
      worker: cpuSeconds(worker.pid) - cpuBefore.worker,
      postgres: postgresCpuSeconds() - cpuBefore.postgres,
    };
    const rss = peakRssMb(worker.pid);
    const received = (await sink.count()).messages;
    const report = await call<Record<string, unknown>>('GET', `/campaigns/${campaign.id}/report`);
    if (report.state !== 'sent' || report.sent !== RECIPIENTS || received !== RECIPIENTS) {
      throw new Error(
        `herald: state ${String(report.state)}, sent ${String(report.sent)}, the sink received ${received}`,
      );
    }
    return { ms, rss, cpu };
  } finally {
    await db.end().catch(() => undefined);
    if (worker) await stop(worker);
    await stop(api);
    if (!process.env.BENCH_KEEP_DB) await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

async function main(): Promise<void> {
  const sink = new Sink();
  await sink.start();
  try {
    console.log(`${fmt(RECIPIENTS)} recipients, pool of ${POOL_SIZE} connections, sink on port ${sink.port}`);
    if (process.env.BENCH_ONLY === 'baseline') {
      const only = await baseline(sink);
      console.log(`nodemailer pool          ${fmt(RECIPIENTS / (only.ms / 1000))} messages/s`);
      return;
    }
    const h = await herald(sink);
    const sinkCpuBefore = cpuSeconds(sink.pid);
    const b = await baseline(sink);
    const heraldRate = RECIPIENTS / (h.ms / 1000);
    const baseRate = RECIPIENTS / (b.ms / 1000);
    const ratio = heraldRate / baseRate;
    const verdict = ratio >= GOAL_RATIO ? 'goal met' : ratio >= FLOOR_RATIO ? 'floor met, goal not' : 'floor NOT met';
    console.log('');
    console.log(
      `HEADLINE ratio herald / nodemailer pool: ${ratio.toFixed(2)}  (floor >= ${FLOOR_RATIO}, goal >= ${GOAL_RATIO}: ${verdict})`,
    );
    console.log(
      `HEADLINE worker peak RSS: ${h.rss === undefined ? 'n/a' : `${h.rss.toFixed(0)} MB`}  (target <= ${TARGET_RSS_MB} MB)`,
    );
    console.log('');
    console.log(`herald campaign (e2e)    ${fmt(heraldRate)} messages/s  (${(h.ms / 1000).toFixed(2)} s)`);
    console.log(
      `  cpu during the send    worker ${h.cpu.worker.toFixed(1)} s, api ${h.cpu.api.toFixed(1)} s, postgres ${h.cpu.postgres.toFixed(1)} s`,
    );
    console.log(
      `nodemailer pool          ${fmt(baseRate)} messages/s  (${(b.ms / 1000).toFixed(2)} s; sink cpu ${(cpuSeconds(sink.pid) - sinkCpuBefore).toFixed(1)} s)`,
    );
  } finally {
    await sink.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
