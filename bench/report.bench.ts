/**
 * Campaign report benchmark: `npm run bench:report`.
 *
 * Builds `herald_bench_report` (dropped and recreated; BENCH_REUSE=1 keeps
 * one of the right size) with one sent campaign of BENCH_RECIPIENTS messages
 * (default 1,000,000) over 50 recipient domains, opens by about 40 % of
 * recipients (some twice, a tenth by machines), clicks by about 8 % over
 * five links, spread over 48 hours; the counters are filled from those
 * events as ingestion would have left them. Then times, median of
 * BENCH_RUNS after a warm-up:
 * - the report as `GET /campaigns/:id/report` reads it: delivery counts by
 *   status and by domain (delivery's `Outbox`, from the counters the
 *   triggers on `messages` keep) and the engagement counters (tracking's
 *   `CampaignReports`), the same statements, run side by side;
 * - a baseline computing the same figures from the raw events and by
 *   counting the campaign's messages (what the report did before the
 *   message counters);
 * - each part alone.
 * Target: the report under 1 s on a million recipients. The counters cost
 * the same whatever the campaign's state, so a campaign still sending is
 * read as fast as this sent one.
 */
import pg from 'pg';
import { runMigrations } from '../libs/common/src/database.js';
import { COUNTS, COUNTS_BY_DOMAIN } from '../libs/delivery/src/messages/outbox.sql.js';
import * as reports from '../libs/tracking/src/reports/reports.sql.js';
import { migrations } from '../migrations/index.js';
import { admin, databaseUrl, fmt } from './lib/postgres.js';

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REUSE = process.env.BENCH_REUSE === '1';
const TARGET_MS = 1000;
const DB_NAME = 'herald_bench_report';
const DOMAINS = 50;

async function time<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function build(db: pg.Client): Promise<string> {
  const campaign = await db.query<{ id: string }>(
    `INSERT INTO campaigns (name, state) VALUES ('Bench', 'sent') RETURNING id`,
  );
  const id = campaign.rows[0].id;
  await time('messages', () =>
    db.query(
      `INSERT INTO messages (campaign_id, email, status, sent_at)
       SELECT $1, 'r' || i || '@' || CASE WHEN i % 13 = 0 THEN 'd' || (i % 40) || '.example'
         ELSE (ARRAY['gmail.com', 'gmail.com', 'gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com',
           'gmx.de', 'web.de', 't-online.de'])[1 + i % 10] END,
         CASE WHEN i % 50 = 0 THEN 'bounced' WHEN i % 97 = 0 THEN 'failed' ELSE 'sent' END,
         now() - interval '48 hours'
       FROM generate_series(1, $2::int) AS i`,
      [id, RECIPIENTS],
    ),
  );
  await time('events', () =>
    db.query(
      `INSERT INTO events (type, message_id, campaign_id, link_index, machine, machine_reason, occurred_at)
       SELECT e.type, m.id, m.campaign_id, e.link, e.machine, CASE WHEN e.machine THEN 'privacy_proxy' END,
         m.sent_at + (hashint % 172800) * interval '1 second'
       FROM (SELECT id, campaign_id, sent_at, abs(hashtext(id::text)) AS h, abs(hashtext(id::text)) % 172800 AS hashint
             FROM messages WHERE campaign_id = $1 AND status = 'sent') m
       CROSS JOIN LATERAL (VALUES
         ('open', NULL::int, m.h % 10 = 0, m.h % 100 < 40),
         ('open', NULL::int, false, m.h % 100 < 15),
         ('click', (m.h / 7 % 5)::int, m.h % 20 = 1, m.h % 100 < 8)
       ) AS e (type, link, machine, happens)
       WHERE e.happens`,
      [id],
    ),
  );
  await time('counters', async () => {
    // Delivery's message counters, as the Outbox statements would have left them.
    await db.query(
      `INSERT INTO message_counts (campaign_id, shard, sent, bounced, failed)
       SELECT campaign_id, 0, count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'bounced'),
         count(*) FILTER (WHERE status = 'failed')
       FROM messages WHERE campaign_id = $1 GROUP BY campaign_id`,
      [id],
    );
    await db.query(
      `INSERT INTO message_domain_counts (campaign_id, domain, shard, sent, bounced, failed)
       SELECT campaign_id, domain, shard, count(*) FILTER (WHERE status = 'sent'),
         count(*) FILTER (WHERE status = 'bounced'), count(*) FILTER (WHERE status = 'failed')
       FROM (SELECT campaign_id, status, lower(reverse(split_part(reverse(email), '@', 1))) AS domain, id % 16 AS shard
             FROM messages WHERE campaign_id = $1) m
       GROUP BY campaign_id, domain, shard`,
      [id],
    );
    await db.query(
      `INSERT INTO message_engagement (message_id, campaign_id, first_open_at, first_human_open_at, first_click_at, first_human_click_at)
       SELECT message_id, campaign_id, min(occurred_at) FILTER (WHERE type = 'open'),
         min(occurred_at) FILTER (WHERE type = 'open' AND NOT machine), min(occurred_at) FILTER (WHERE type = 'click'),
         min(occurred_at) FILTER (WHERE type = 'click' AND NOT machine)
       FROM events WHERE campaign_id = $1 GROUP BY message_id, campaign_id`,
      [id],
    );
    await db.query(`INSERT INTO campaign_stats SELECT * FROM (${BASELINE.stats}) s`, [id]);
    await db.query(`INSERT INTO campaign_link_stats SELECT $1, * FROM (${BASELINE.links}) s`, [id]);
    await db.query(
      `INSERT INTO campaign_hourly_stats SELECT $1, hour, opens, human_opens, clicks, human_clicks, unsubscribes
       FROM (${BASELINE.hourly}) s`,
      [id],
    );
    await db.query(
      `INSERT INTO campaign_domain_stats SELECT $1, domain, unique_opens, unique_human_opens, unique_clicks,
         unique_human_clicks, unsubscribes FROM (${BASELINE.domains}) s`,
      [id],
    );
  });
  await db.query('VACUUM ANALYZE');
  return id;
}

/** Delivery figures by counting the campaign's messages, as the report did before the counters. */
const SCANS = {
  byStatus: `
    SELECT status, count(*)::int AS n, count(*) FILTER (WHERE reclaimed > 0)::int AS reclaimed
    FROM messages WHERE campaign_id = $1 AND NOT is_test GROUP BY status`,
  byDomain: `
    SELECT lower(reverse(split_part(reverse(email), '@', 1))) AS domain,
      count(*) FILTER (WHERE status = 'sent')::int AS delivered,
      count(*) FILTER (WHERE status = 'bounced')::int AS bounced,
      count(*) FILTER (WHERE status = 'failed')::int AS failed
    FROM messages WHERE campaign_id = $1 AND NOT is_test AND status IN ('sent', 'bounced', 'failed')
    GROUP BY 1 ORDER BY delivered DESC, 1 LIMIT $2`,
};

/** The same figures from the raw events, as a report without counters would compute them. */
const BASELINE = {
  stats: `
    SELECT $1::bigint AS campaign_id,
      count(*) FILTER (WHERE type = 'open') AS opens,
      count(*) FILTER (WHERE type = 'open' AND NOT machine) AS human_opens,
      count(DISTINCT message_id) FILTER (WHERE type = 'open') AS unique_opens,
      count(DISTINCT message_id) FILTER (WHERE type = 'open' AND NOT machine) AS unique_human_opens,
      count(*) FILTER (WHERE type = 'click') AS clicks,
      count(*) FILTER (WHERE type = 'click' AND NOT machine) AS human_clicks,
      count(DISTINCT message_id) FILTER (WHERE type = 'click') AS unique_clicks,
      count(DISTINCT message_id) FILTER (WHERE type = 'click' AND NOT machine) AS unique_human_clicks,
      count(*) FILTER (WHERE type = 'unsubscribe') AS unsubscribes,
      count(*) FILTER (WHERE type = 'complaint') AS complaints
    FROM events WHERE campaign_id = $1`,
  links: `
    SELECT link_index, count(*) AS clicks, count(*) FILTER (WHERE NOT machine) AS human_clicks,
      count(DISTINCT message_id) AS unique_clicks, count(DISTINCT message_id) FILTER (WHERE NOT machine) AS unique_human_clicks
    FROM events WHERE campaign_id = $1 AND type = 'click' GROUP BY link_index`,
  hourly: `
    SELECT date_trunc('hour', occurred_at) AS hour,
      count(*) FILTER (WHERE type = 'open') AS opens, count(*) FILTER (WHERE type = 'open' AND NOT machine) AS human_opens,
      count(*) FILTER (WHERE type = 'click') AS clicks, count(*) FILTER (WHERE type = 'click' AND NOT machine) AS human_clicks,
      count(*) FILTER (WHERE type = 'unsubscribe') AS unsubscribes
    FROM events WHERE campaign_id = $1 GROUP BY 1`,
  domains: `
    SELECT lower(reverse(split_part(reverse(m.email), '@', 1))) AS domain,
      count(DISTINCT e.message_id) FILTER (WHERE e.type = 'open') AS unique_opens,
      count(DISTINCT e.message_id) FILTER (WHERE e.type = 'open' AND NOT e.machine) AS unique_human_opens,
      count(DISTINCT e.message_id) FILTER (WHERE e.type = 'click') AS unique_clicks,
      count(DISTINCT e.message_id) FILTER (WHERE e.type = 'click' AND NOT e.machine) AS unique_human_clicks,
      count(*) FILTER (WHERE e.type = 'unsubscribe') AS unsubscribes
    FROM events e JOIN messages m ON m.id = e.message_id WHERE e.campaign_id = $1 GROUP BY 1`,
};

async function median(work: () => Promise<unknown>): Promise<number> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const url = databaseUrl(DB_NAME);
  let campaignId: string | undefined;
  if (REUSE) {
    try {
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      const found = await probe.query<{ campaign_id: string; n: number }>(
        `SELECT campaign_id, count(*)::int AS n FROM messages GROUP BY 1`,
      );
      await probe.end();
      if (found.rows.length === 1 && found.rows[0].n === RECIPIENTS) campaignId = found.rows[0].campaign_id;
    } catch {
      // No such database yet.
    }
  }
  // A kept database gets the migrations added since it was built (they fill their counters from what is there).
  if (campaignId !== undefined) await runMigrations(url, migrations);
  if (campaignId === undefined) {
    await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${DB_NAME}`);
    console.log(`Building ${DB_NAME} with ${fmt(RECIPIENTS)} recipients`);
    await time('migrations', () => runMigrations(url, migrations));
  }
  // The report runs its statements side by side, as CampaignsService.report does: one connection each.
  const pool = new pg.Pool({ connectionString: url, max: 6 });
  if (campaignId === undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    campaignId = await build(client);
    await client.end();
  }
  const id = campaignId;
  const events = Number((await pool.query(`SELECT count(*) AS n FROM events`)).rows[0].n);
  console.log(`Campaign ${id}: ${fmt(RECIPIENTS)} messages, ${fmt(events)} events`);

  const report = () =>
    Promise.all([
      pool.query(COUNTS, [id]),
      pool
        .query(COUNTS_BY_DOMAIN, [id, DOMAINS])
        .then((r) => pool.query(reports.DOMAIN_STATS, [id, r.rows.map((row: { domain: string }) => row.domain)])),
      pool.query(reports.CAMPAIGN_STATS, [id]),
      pool.query(reports.LINK_STATS, [id]),
      pool.query(reports.HOURLY_STATS, [id]),
    ]);
  const baseline = () =>
    Promise.all([
      pool.query(SCANS.byStatus, [id]),
      pool.query(SCANS.byDomain, [id, DOMAINS]),
      ...Object.values(BASELINE).map((sql) => pool.query(sql, [id])),
    ]);

  const counters = await median(() =>
    Promise.all([reports.CAMPAIGN_STATS, reports.LINK_STATS, reports.HOURLY_STATS].map((sql) => pool.query(sql, [id]))),
  );
  const byStatus = await median(() => pool.query(COUNTS, [id]));
  const byDomain = await median(() => pool.query(COUNTS_BY_DOMAIN, [id, DOMAINS]));
  const scanByStatus = await median(() => pool.query(SCANS.byStatus, [id]));
  const scanByDomain = await median(() => pool.query(SCANS.byDomain, [id, DOMAINS]));
  const reportMs = await median(report);
  const baselineMs = await median(baseline);
  await pool.end();

  console.log(`\nMedian of ${RUNS} runs after a warm-up:`);
  console.log(`  engagement counters alone:          ${counters.toFixed(1)} ms`);
  console.log(`  delivery counts by status (Outbox): ${byStatus.toFixed(1)} ms`);
  console.log(`  delivery counts by domain (Outbox): ${byDomain.toFixed(1)} ms`);
  console.log(`  the same by counting messages:      ${scanByStatus.toFixed(1)} ms + ${scanByDomain.toFixed(1)} ms`);
  console.log(`  whole report:                       ${reportMs.toFixed(1)} ms (target < ${TARGET_MS} ms)`);
  console.log(`  baseline from raw events:           ${baselineMs.toFixed(1)} ms`);
  console.log(`  report / baseline:                  ${(reportMs / baselineMs).toFixed(4)}`);
  if (reportMs > TARGET_MS) {
    console.log('FAILED: the report is over its target');
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
