/**
 * Segment count benchmark: `npm run bench:segments`.
 *
 * Builds `herald_bench_segments` (dropped and recreated; BENCH_REUSE=1 keeps
 * an existing one of the right size) with BENCH_CONTACTS contacts (default
 * 1,000,000) carrying realistic attributes and list memberships, then times
 * nine typical rules (four on engagement: opened, clicked, received and
 * not opened within days, received and not opened one campaign, over
 * CAMPAIGNS sent campaigns): Herald's compiled count against a hand-written query
 * for the same audience, in the same run, median of BENCH_RUNS runs after a
 * warm-up. Targets: every count <= 300 ms and <= 1.5x the hand-written one.
 * BENCH_EXPLAIN=1 prints each plan; BENCH_ONLY=n runs scenario n alone;
 * BENCH_SERIAL=1 turns off parallel plans for both queries (on a machine
 * whose cores are busy with other work, parallel workers only wait for
 * them: a diagnostic, the targets are for the server's own settings).
 */
import pg from 'pg';
import { runMigrations } from '../libs/common/src/database.js';
import { migrations } from '../migrations/index.js';
import { compileRules } from '../libs/segments/src/compiler.js';
import type { FieldType } from '../libs/contacts/src/index.js';
import { parseRules } from '../libs/segments/src/rules.js';
import type { EngagementSource } from '../libs/segments/src/engagement.js';
import { receivedSql } from '../libs/delivery/src/messages/engagement.sql.js';
import { engagedSql } from '../libs/tracking/src/events/engagement.sql.js';

/** The engagement SQL delivery and tracking register in a running Herald. */
const ENGAGEMENT: EngagementSource = {
  received: receivedSql,
  opened: engagedSql('first_human_open_at'),
  clicked: engagedSql('first_human_click_at'),
};
/** Campaigns sent over the last four months, each to about 60 % of contacts. */
const CAMPAIGNS = 4;

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const REUSE = process.env.BENCH_REUSE === '1';
const EXPLAIN = process.env.BENCH_EXPLAIN === '1';
const SERIAL = process.env.BENCH_SERIAL === '1';
/** Runs only the scenario with this 1-based number. */
const ONLY = process.env.BENCH_ONLY ? Number(process.env.BENCH_ONLY) : undefined;
const TARGET_MS = 300;
const TARGET_RATIO = 1.5;
const DB_NAME = 'herald_bench_segments';
const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const urlFor = (name: string) => {
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

const FIELDS: [string, FieldType][] = [
  ['country', 'text'],
  ['plan', 'text'],
  ['city', 'text'],
  ['score', 'number'],
  ['vip', 'boolean'],
  ['signup', 'date'],
  ['last_order', 'date'],
];

const LISTS: [string, number][] = [
  ['newsletter', 0.6],
  ['customers', 0.3],
  ['webinar', 0.1],
  ['vip-club', 0.02],
  ['beta', 0.01],
];

async function time<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function prepare(): Promise<void> {
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME])).rowCount === 1;
  if (exists && REUSE) {
    const db = new pg.Client({ connectionString: urlFor(DB_NAME) });
    await db.connect();
    const n = Number((await db.query('SELECT count(*) AS n FROM contacts')).rows[0].n);
    await db.end();
    if (n === CONTACTS) {
      await admin.end();
      console.log(`Reusing ${DB_NAME} with ${n} contacts`);
      return;
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB_NAME}`);
  await admin.end();

  console.log(`Building ${DB_NAME} with ${CONTACTS.toLocaleString('en')} contacts`);
  await time('migrations', () => runMigrations(urlFor(DB_NAME), migrations));
  const db = new pg.Client({ connectionString: urlFor(DB_NAME) });
  await db.connect();
  try {
    await db.query(`SET maintenance_work_mem = '512MB'`);
    await db.query('SELECT setseed(0.42)');
    // Loading is faster without secondary indexes: drop them, load, rebuild them as the migrations defined them.
    const indexes = (
      await db.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
         WHERE tablename IN ('contacts', 'list_members') AND indexname NOT LIKE '%_pkey'`,
      )
    ).rows;
    for (const index of indexes) await db.query(`DROP INDEX ${pg.escapeIdentifier(index.name)}`);

    for (const [name, type] of FIELDS) await db.query('INSERT INTO fields (name, type) VALUES ($1, $2)', [name, type]);
    await time('contacts', () =>
      db.query(
        `INSERT INTO contacts (email, first_name, last_name, status, attributes, created_at, updated_at)
         SELECT 'user' || i || '@' || (ARRAY['gmail.com', 'yahoo.com', 'outlook.com', 'web.de', 'gmx.de', 'orange.fr',
                  'hotmail.co.uk', 'company' || (i % 20000) || '.com'])[1 + floor(r.d * 8)::int],
                'First' || (i % 5000), 'Last' || (i % 7919),
                CASE WHEN r.s < 0.90 THEN 'subscribed' WHEN r.s < 0.97 THEN 'unsubscribed'
                     WHEN r.s < 0.99 THEN 'bounced' ELSE 'complained' END,
                jsonb_strip_nulls(jsonb_build_object(
                  'country', CASE WHEN r.c < 0.30 THEN 'DE' WHEN r.c < 0.55 THEN 'US' WHEN r.c < 0.70 THEN 'FR'
                                  WHEN r.c < 0.80 THEN 'GB' WHEN r.c < 0.85 THEN 'ES' WHEN r.c < 0.90 THEN 'IT'
                                  WHEN r.c < 0.95 THEN 'NL' ELSE 'PL' END,
                  'plan', CASE WHEN r.p < 0.60 THEN 'free' WHEN r.p < 0.85 THEN 'pro'
                               WHEN r.p < 0.95 THEN 'business' ELSE 'enterprise' END,
                  'city', 'City ' || floor(r.c * 500)::int,
                  'score', floor(r.sc * 101)::int,
                  'vip', r.v < 0.05,
                  'signup', to_char(r.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'last_order', CASE WHEN r.o < 0.6 THEN to_char((now() - r.o / 0.6 * interval '730 days')
                                     AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END
                )),
                r.created, r.created + (now() - r.created) * r.u
         FROM generate_series(1, $1::int) i,
              LATERAL (SELECT random() AS d, random() AS s, random() AS c, random() AS p, random() AS sc,
                              random() AS v, random() AS o, random() AS u,
                              now() - random() * interval '1095 days' AS created, i AS k) r`,
        [CONTACTS],
      ),
    );
    await time('lists and memberships', async () => {
      for (const [name, share] of LISTS) {
        const { rows } = await db.query<{ id: string }>('INSERT INTO lists (name) VALUES ($1) RETURNING id', [name]);
        await db.query(
          `INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM contacts WHERE random() < $2`,
          [rows[0].id, share],
        );
      }
    });
    await time('indexes', async () => {
      for (const index of indexes) await db.query(index.def);
    });
    await time('campaigns, messages and engagement', () => buildEngagement(db));
    await time('vacuum analyze', () =>
      db.query('VACUUM ANALYZE contacts, list_members, lists, fields, messages, message_engagement'),
    );
  } finally {
    await db.end();
  }
}

/**
 * CAMPAIGNS sent campaigns, 30 days apart, each to about 60 % of contacts;
 * about 35 % of recipients open (human), 5 % click, as ingestion records
 * them in `message_engagement`.
 */
async function buildEngagement(db: pg.Client): Promise<void> {
  for (let n = 0; n < CAMPAIGNS; n += 1) {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO campaigns (name, state, started_at, finished_at)
       VALUES ($1, 'sent', now() - make_interval(days => $2), now() - make_interval(days => $2)) RETURNING id`,
      [`Newsletter ${n + 1}`, 30 * (CAMPAIGNS - n)],
    );
    await db.query(
      `INSERT INTO messages (campaign_id, contact_id, email, status, sent_at)
       SELECT $1, id, email, 'sent', now() - make_interval(days => $2) FROM contacts WHERE random() < 0.6`,
      [rows[0].id, 30 * (CAMPAIGNS - n)],
    );
    await db.query(
      `INSERT INTO message_engagement (message_id, campaign_id, contact_id, first_open_at, first_human_open_at,
         first_click_at, first_human_click_at)
       SELECT id, campaign_id, contact_id, sent_at + interval '2 hours', sent_at + interval '2 hours',
         CASE WHEN r < 0.05 THEN sent_at + interval '3 hours' END, CASE WHEN r < 0.05 THEN sent_at + interval '3 hours' END
       FROM (SELECT id, campaign_id, contact_id, sent_at, random() AS r FROM messages WHERE campaign_id = $1) m
       WHERE r < 0.35`,
      [rows[0].id],
    );
  }
}

interface Scenario {
  name: string;
  rules: unknown;
  /** The same audience as an engineer would write it by hand for these indexes. */
  handWritten: string;
}

function scenarios(lists: Map<string, string>, lastCampaign: string): Scenario[] {
  const list = (name: string) => lists.get(name) ?? '0';
  return [
    {
      name: 'Opened the last campaign',
      rules: { all: [{ field: 'engagement', op: 'opened', value: { campaignId: lastCampaign } }] },
      handWritten: `SELECT count(*) FROM contacts c WHERE EXISTS (SELECT 1 FROM message_engagement e
        WHERE e.contact_id = c.id AND e.campaign_id = ${lastCampaign} AND e.first_human_open_at IS NOT NULL)`,
    },
    {
      name: 'Clicked any campaign in the last 45 days',
      rules: { all: [{ field: 'engagement', op: 'clicked', value: { withinDays: 45 } }] },
      handWritten: `SELECT count(*) FROM contacts c WHERE EXISTS (SELECT 1 FROM message_engagement e
        WHERE e.contact_id = c.id AND e.first_human_click_at >= now() - interval '45 days')`,
    },
    {
      name: 'Subscribed, received mail in the last 90 days, opened none of it',
      rules: {
        all: [
          { field: 'status', op: 'eq', value: 'subscribed' },
          { field: 'engagement', op: 'notOpened', value: { withinDays: 90 } },
        ],
      },
      handWritten: `SELECT count(*) FROM contacts c WHERE c.status = 'subscribed'
        AND EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.status = 'sent' AND NOT m.is_test
          AND m.campaign_id IS NOT NULL AND m.sent_at >= now() - interval '90 days')
        AND NOT EXISTS (SELECT 1 FROM message_engagement e WHERE e.contact_id = c.id
          AND e.first_human_open_at >= now() - interval '90 days')`,
    },
    {
      name: 'Received the last campaign, did not open it',
      rules: { all: [{ field: 'engagement', op: 'notOpened', value: { campaignId: lastCampaign } }] },
      handWritten: `SELECT count(*) FROM contacts c
        WHERE EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.campaign_id = ${lastCampaign}
          AND m.status = 'sent' AND NOT m.is_test)
        AND NOT EXISTS (SELECT 1 FROM message_engagement e WHERE e.contact_id = c.id AND e.campaign_id = ${lastCampaign}
          AND e.first_human_open_at IS NOT NULL)`,
    },
    {
      name: 'German subscribers who signed up in the last 30 days',
      rules: {
        all: [
          { field: 'status', op: 'eq', value: 'subscribed' },
          { field: 'attributes.country', op: 'eq', value: 'DE' },
          { field: 'createdAt', op: 'withinDays', value: 30 },
        ],
      },
      handWritten: `SELECT count(*) FROM contacts WHERE status = 'subscribed'
        AND attributes @> '{"country": "DE"}' AND created_at >= now() - interval '30 days'`,
    },
    {
      name: 'VIPs on a pro or business plan',
      rules: {
        all: [
          { field: 'attributes.vip', op: 'eq', value: true },
          { field: 'attributes.plan', op: 'in', value: ['pro', 'business'] },
        ],
      },
      handWritten: `SELECT count(*) FROM contacts WHERE attributes @> '{"vip": true}'
        AND attributes->>'plan' IN ('pro', 'business')`,
    },
    {
      name: 'Gmail addresses (email ends with a domain)',
      rules: { all: [{ field: 'email', op: 'endsWith', value: '@gmail.com' }] },
      handWritten: `SELECT count(*) FROM contacts WHERE lower(email) LIKE '%@gmail.com'`,
    },
    {
      name: 'Lapsed customers: on the customers list, no order for 180 days, still subscribed',
      rules: {
        all: [
          { field: 'lists', op: 'inAny', value: [list('customers')] },
          { field: 'attributes.last_order', op: 'olderThanDays', value: 180 },
          { none: [{ field: 'status', op: 'in', value: ['unsubscribed', 'bounced', 'complained'] }] },
        ],
      },
      handWritten: `SELECT count(*) FROM contacts c
        WHERE c.status = 'subscribed'
          AND c.attributes->>'last_order' < to_char(now() AT TIME ZONE 'UTC' - interval '180 days', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
          AND EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = c.id AND m.list_id = ${list('customers')})`,
    },
    {
      name: 'High-score prospects in France or Germany who are not customers',
      rules: {
        all: [
          { field: 'attributes.country', op: 'in', value: ['FR', 'DE'] },
          { field: 'attributes.score', op: 'gte', value: 80 },
          { none: [{ field: 'lists', op: 'inAny', value: [list('customers')] }] },
        ],
      },
      handWritten: `SELECT count(*) FROM contacts c
        WHERE c.attributes->>'country' IN ('FR', 'DE')
          AND (c.attributes->>'score')::numeric >= 80
          AND NOT EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = c.id AND m.list_id = ${list('customers')})`,
    },
  ];
}

interface Timing {
  ms: number;
  count: number;
}

/**
 * Runs both queries alternately (one warm-up round, then RUNS rounds, the
 * order swapped each round) so that both see the same cache and machine load.
 */
async function measurePair(db: pg.Client, a: [string, unknown[]], b: [string, unknown[]]): Promise<[Timing, Timing]> {
  const samples: [number[], number[]] = [[], []];
  const counts = [0, 0];
  for (let round = 0; round <= RUNS; round += 1) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) {
      const [sql, params] = which === 0 ? a : b;
      const started = performance.now();
      const { rows } = await db.query<{ count: string }>(sql, params);
      const elapsed = performance.now() - started;
      counts[which] = Number(rows[0].count);
      if (round > 0) samples[which].push(elapsed);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return [
    { ms: median(samples[0]), count: counts[0] },
    { ms: median(samples[1]), count: counts[1] },
  ];
}

async function main(): Promise<void> {
  await prepare();
  const db = new pg.Client({ connectionString: urlFor(DB_NAME) });
  await db.connect();
  if (SERIAL) await db.query('SET max_parallel_workers_per_gather = 0');
  let failures = 0;
  try {
    const fields = new Map(
      (await db.query<{ name: string; type: FieldType }>('SELECT name, type FROM fields')).rows.map((r) => [
        r.name,
        r.type,
      ]),
    );
    const lists = new Map(
      (await db.query<{ id: string; name: string }>('SELECT id::text, name FROM lists')).rows.map((r) => [
        r.name,
        r.id,
      ]),
    );
    const total = Number((await db.query('SELECT count(*) AS n FROM contacts')).rows[0].n);
    console.log(
      `\nCounting on ${total.toLocaleString('en')} contacts, median of ${RUNS} alternating runs after a warm-up` +
        `${SERIAL ? ', parallel plans off' : ''}\n`,
    );

    const lastCampaign = (await db.query<{ id: string }>('SELECT max(id)::text AS id FROM campaigns')).rows[0].id;
    for (const [index, scenario] of scenarios(lists, lastCampaign).entries()) {
      if (ONLY !== undefined && index + 1 !== ONLY) continue;
      const filter = compileRules(parseRules(scenario.rules, { fields }), 1, ENGAGEMENT);
      const herald = `SELECT count(*) AS count FROM contacts c WHERE ${filter.sql}`;
      if (EXPLAIN) {
        for (const [label, sql, params] of [
          ['herald', herald, filter.params],
          ['hand', scenario.handWritten, []],
        ] as const) {
          const plan = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${sql}`, [
            ...params,
          ]);
          console.log(`  ${label} plan:\n${plan.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n')}`);
        }
      }
      const [mine, theirs] = await measurePair(db, [herald, filter.params], [scenario.handWritten, []]);
      const ratio = mine.ms / theirs.ms;
      const ok = mine.count === theirs.count && mine.ms <= TARGET_MS && ratio <= TARGET_RATIO;
      if (!ok) failures += 1;
      console.log(
        `${ok ? 'PASS' : 'FAIL'}  ${scenario.name}\n` +
          `      herald ${mine.ms.toFixed(1)} ms, hand-written ${theirs.ms.toFixed(1)} ms, ratio ${ratio.toFixed(2)}` +
          `, ${mine.count.toLocaleString('en')} contacts${mine.count === theirs.count ? '' : ` (hand-written: ${theirs.count})`}`,
      );
    }
  } finally {
    await db.end();
  }
  console.log(
    `\nTargets: <= ${TARGET_MS} ms and <= ${TARGET_RATIO}x hand-written. ${failures === 0 ? 'All passed.' : `${failures} failed.`}`,
  );
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
