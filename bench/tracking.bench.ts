/**
 * Tracking benchmark: `npm run bench:tracking`.
 *
 * One Herald api process (this one) serves, on the same server, the click
 * and open routes and a bare route that answers the same 302 with no
 * tracking at all. A second process (bench/lib/load.ts, autocannon) loads
 * each in turn over BENCH_MESSAGES (default 2,000) message tokens of a sent
 * campaign in `herald_bench_tracking` (dropped and recreated):
 * - at full speed, BENCH_CONNECTIONS (20) connections for BENCH_SECONDS
 *   (10) each: requests per second, and the ratio of each tracking route to
 *   the bare one (target ≥ 0.7);
 * - at fixed rates, p99 latency (target ≤ 20 ms): at BENCH_RATE (1,000
 *   requests/s) and at BENCH_RATE_SHARE (50 %) of the rate the bare route
 *   reached at full speed, a load the server sustains with room to spare on
 *   this machine. What earlier runs left in the tracking buffer is written
 *   before each fixed-rate run starts, so a run pays only for its own hits.
 * Each run also reports the event loop's delay in this process (p99 and
 * worst): what the server could not answer because it was busy with
 * something else. Afterwards every click and open answered must be in the
 * campaign's counters once the buffer is written: events lost (target 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApiApp } from '../apps/api/src/app.js';
import { loadConfig, MessageTokens } from '../libs/common/src/index.js';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { TrackingEvents } from '../libs/tracking/src/index.js';
import { admin, databaseUrl, fmt } from './lib/postgres.js';
import { dropPrefix, runPrefix } from './lib/redis.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const RATE_SHARE = Number(process.env.BENCH_RATE_SHARE ?? 0.5);
const DB_NAME = 'herald_bench_tracking';
const SECRET = 'herald tracking benchmark secret, not for production';
const DESTINATION = 'https://shop.example.com/sale?utm_source=herald';
const LOAD_SCRIPT = fileURLToPath(new URL('./lib/load.js', import.meta.url));

interface LoadResult {
  requests: number;
  perSecond: number;
  p99: number;
  p50: number;
  redirects: number;
  ok: number;
  errors: number;
}

const ROUTES = ['bare', 'click', 'open'] as const;
type Route = (typeof ROUTES)[number];

/** A load run and this process's event loop delay over it, in ms. */
interface Measured extends LoadResult {
  loopP99: number;
  loopMax: number;
  /** Before a fixed-rate run: the hits earlier runs left buffered, and how long writing them took. */
  drained?: { backlog: number; ms: number };
}

function load(url: string, paths: string[], seconds: number, rate?: number): Promise<LoadResult> {
  const spec = JSON.stringify({ url, paths, connections: CONNECTIONS, seconds, rate });
  const child: ChildProcess = spawn(process.execPath, [LOAD_SCRIPT, spec], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() as string) as LoadResult)
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

async function seed(url: string): Promise<{ campaignId: string; messageIds: string[] }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const campaign = await db.query<{ id: string }>(
      `INSERT INTO campaigns (name, state, started_at, finished_at) VALUES ('Bench', 'sent', now(), now()) RETURNING id`,
    );
    const campaignId = campaign.rows[0].id;
    await db.query(`INSERT INTO campaign_links (campaign_id, index, url) VALUES ($1, 0, $2)`, [
      campaignId,
      DESTINATION,
    ]);
    // Delivered a day ago: clicks now are not a scanner's clicks right after delivery.
    const messages = await db.query<{ id: string }>(
      `INSERT INTO messages (campaign_id, email, status, sent_at)
       SELECT $1, 'r' || i || '@example.com', 'sent', now() - interval '1 day' FROM generate_series(1, $2::int) AS i
       RETURNING id`,
      [campaignId, MESSAGES],
    );
    return { campaignId, messageIds: messages.rows.map((r) => r.id) };
  } finally {
    await db.end();
  }
}

async function counted(url: string, campaignId: string): Promise<{ clicks: number; opens: number }> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ clicks: string; opens: string }>(
      `SELECT clicks, opens FROM campaign_stats WHERE campaign_id = $1`,
      [campaignId],
    );
    return { clicks: Number(rows[0]?.clicks ?? 0), opens: Number(rows[0]?.opens ?? 0) };
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const url = databaseUrl(DB_NAME);
  await runMigrations(url, migrations);
  const { campaignId, messageIds } = await seed(url);

  const prefix = runPrefix('tracking');
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url,
    HERALD_SECRET: SECRET,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_SANDBOX_SMTP_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  const app = (await createApiApp(config, { withWorker: false })) as NestExpressApplication;
  // The baseline: the same answer from the same server, with no token check and nothing recorded.
  app.use('/bench/bare', (_req: Request, res: Response, _next: NextFunction) => res.redirect(302, DESTINATION));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  const tokens = new MessageTokens(SECRET);
  const routes = {
    bare: messageIds.map((id) => `/bench/bare/${tokens.sign(id)}.0`),
    click: messageIds.map((id) => `/t/c/${tokens.sign(id)}.0`),
    open: messageIds.map((id) => `/t/o/${tokens.sign(id)}`),
  };
  const check = await fetch(base + routes.click[0], { redirect: 'manual' });
  if (check.status !== 302 || check.headers.get('location') !== DESTINATION) {
    throw new Error(`the click route answered ${check.status} ${check.headers.get('location')}`);
  }

  console.log(`Tracking benchmark: ${fmt(MESSAGES)} tokens, ${CONNECTIONS} connections, ${SECONDS} s per run`);
  const events = app.get(TrackingEvents);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  /** One load run, with this process's event loop delay over it. */
  const run = async (name: Route, rate?: number): Promise<Measured> => {
    loop.reset();
    loop.enable();
    const r = await load(base, routes[name], SECONDS, rate);
    loop.disable();
    return { ...r, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
  };
  /** A fixed-rate run starting from an empty buffer: the backlog of a full-speed run is not its cost. */
  const fixedRun = async (name: Route, rate: number): Promise<Measured> => {
    const backlog = (await events.metrics.buffered.get()).values[0]?.value ?? 0;
    const started = performance.now();
    await events.flush();
    const drained = { backlog, ms: performance.now() - started };
    return { ...(await run(name, rate)), drained };
  };

  for (const name of ROUTES) await load(base, routes[name], 2); // warm-up
  const full = {} as Record<Route, Measured>;
  for (const name of ROUTES) full[name] = await run(name);
  const shareRate = Math.max(1, Math.round(full.bare.perSecond * RATE_SHARE));
  const atShare = {} as Record<Route, Measured>;
  const atRate = {} as Record<Route, Measured>;
  for (const name of ROUTES) atShare[name] = await fixedRun(name, shareRate);
  for (const name of ROUTES) atRate[name] = await fixedRun(name, RATE);

  // Every hit the server took (answered, including those still in flight when a run's clock stopped, which
  // the load generator does not count) must reach the counters once the buffer is written.
  const taken = { click: 0, open: 0 };
  for (const { labels, value } of (await events.metrics.hits.get()).values) {
    if (labels.type === 'click' || labels.type === 'open') taken[labels.type] = value;
  }
  const clicksTaken = taken.click;
  const opensTaken = taken.open;
  const deadline = Date.now() + 60_000;
  let stored = await counted(url, campaignId);
  while ((stored.clicks < clicksTaken || stored.opens < opensTaken) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    stored = await counted(url, campaignId);
  }
  await app.close();
  await dropPrefix(config.REDIS_URL, prefix);

  const ms = (n: number) => `${n.toFixed(0).padStart(3)} ms`;
  const loopOf = (r: Measured) => `loop delay p99 ${ms(r.loopP99)}, max ${ms(r.loopMax)}`;
  console.log('  full speed:');
  for (const name of ROUTES) {
    const r = full[name];
    console.log(`    ${name.padEnd(6)} ${fmt(r.perSecond).padStart(8)} req/s   errors ${r.errors}   ${loopOf(r)}`);
  }
  for (const [title, rate, rows] of [
    [
      `at ${fmt(shareRate)} requests/s (${Math.round(RATE_SHARE * 100)} % of the bare route's full speed)`,
      shareRate,
      atShare,
    ],
    [`at ${fmt(RATE)} requests/s`, RATE, atRate],
  ] as const) {
    console.log(`  ${title}:`);
    for (const name of ROUTES) {
      const r = rows[name];
      console.log(
        `    ${name.padEnd(6)} p99 ${ms(r.p99)}   p50 ${ms(r.p50)}   ${fmt(r.perSecond).padStart(6)} req/s of ${fmt(rate)}` +
          `   errors ${r.errors}   ${loopOf(r)}` +
          (r.drained
            ? `   (before it: ${fmt(r.drained.backlog)} hits left buffered, written in ${ms(r.drained.ms)})`
            : ''),
      );
    }
  }
  const clickRatio = full.click.perSecond / full.bare.perSecond;
  const openRatio = full.open.perSecond / full.bare.perSecond;
  const lostClicks = clicksTaken - stored.clicks;
  const lostOpens = opensTaken - stored.opens;
  console.log(`  click / bare: ${clickRatio.toFixed(2)}   open / bare: ${openRatio.toFixed(2)}   (target ≥ 0.7)`);
  for (const [rate, rows] of [
    [shareRate, atShare],
    [RATE, atRate],
  ] as const) {
    console.log(
      `  p99 at ${fmt(rate)} requests/s: click ${rows.click.p99} ms, open ${rows.open.p99} ms, bare ${rows.bare.p99} ms` +
        ' (target ≤ 20 ms)',
    );
  }
  console.log(
    `  events lost: clicks ${lostClicks} of ${fmt(clicksTaken)}, opens ${lostOpens} of ${fmt(opensTaken)} (target 0)`,
  );
  const p99Met = (rows: Record<Route, Measured>) => rows.click.p99 <= 20 && rows.open.p99 <= 20;
  const met = clickRatio >= 0.7 && openRatio >= 0.7 && p99Met(atShare) && p99Met(atRate);
  console.log(met && lostClicks === 0 && lostOpens === 0 ? '  targets met' : '  TARGET MISSED');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
