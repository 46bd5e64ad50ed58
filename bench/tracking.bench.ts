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
 * - at a fixed BENCH_RATE (1,000 requests/s): p99 latency (target ≤ 20 ms).
 * Afterwards every click and open answered must be in the campaign's
 * counters once the buffer is written: events lost (target 0).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { createApiApp } from '../apps/api/src/app.js';
import { loadConfig, MessageTokens } from '../libs/common/src/index.js';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { admin, databaseUrl, fmt } from './lib/postgres.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
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

  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url,
    HERALD_SECRET: SECRET,
    HERALD_QUEUE_PREFIX: 'herald-bench-tracking',
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
  // Every click and open answered, warm-up included, must reach the counters.
  let clicksAnswered = 1; // the check above
  let opensAnswered = 0;
  const tally = (name: string, r: LoadResult) => {
    if (name === 'click') clicksAnswered += r.redirects;
    if (name === 'open') opensAnswered += r.ok;
  };
  const full: Record<string, LoadResult> = {};
  const fixed: Record<string, LoadResult> = {};
  for (const name of ['bare', 'click', 'open'] as const) tally(name, await load(base, routes[name], 2)); // warm-up
  for (const name of ['bare', 'click', 'open'] as const) {
    full[name] = await load(base, routes[name], SECONDS);
    fixed[name] = await load(base, routes[name], SECONDS, RATE);
    tally(name, full[name]);
    tally(name, fixed[name]);
  }

  // Every answered hit must reach the counters once the buffer is written.
  const deadline = Date.now() + 60_000;
  let stored = await counted(url, campaignId);
  while ((stored.clicks < clicksAnswered || stored.opens < opensAnswered) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    stored = await counted(url, campaignId);
  }
  await app.close();

  const row = (name: string, r: LoadResult, f: LoadResult) =>
    console.log(
      `  ${name.padEnd(6)} ${fmt(r.perSecond).padStart(8)} req/s   p99 at ${fmt(RATE)}/s: ${String(f.p99).padStart(3)} ms` +
        `   (p50 ${f.p50} ms, errors ${r.errors + f.errors})`,
    );
  row('bare', full.bare, fixed.bare);
  row('click', full.click, fixed.click);
  row('open', full.open, fixed.open);
  const clickRatio = full.click.perSecond / full.bare.perSecond;
  const openRatio = full.open.perSecond / full.bare.perSecond;
  const lostClicks = clicksAnswered - stored.clicks;
  const lostOpens = opensAnswered - stored.opens;
  console.log(`  click / bare: ${clickRatio.toFixed(2)}   open / bare: ${openRatio.toFixed(2)}   (target ≥ 0.7)`);
  console.log(
    `  p99 click ${fixed.click.p99} ms, open ${fixed.open.p99} ms at ${fmt(RATE)} requests/s (target ≤ 20 ms)`,
  );
  console.log(
    `  events lost: clicks ${lostClicks} of ${fmt(clicksAnswered)}, opens ${lostOpens} of ${fmt(opensAnswered)} (target 0)`,
  );
  const met = clickRatio >= 0.7 && openRatio >= 0.7 && fixed.click.p99 <= 20 && fixed.open.p99 <= 20;
  console.log(met && lostClicks === 0 && lostOpens === 0 ? '  targets met' : '  TARGET MISSED');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
