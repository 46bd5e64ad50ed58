/**
 * Import benchmark: `npm run bench:import` (BENCH_ROWS=100000 for a quick run).
 *
 * Generates a contacts CSV, then in the same run measures
 *   (a) Herald end to end: upload through the API until GET /imports/:id says
 *       done, with the api and the worker as separate processes, and
 *   (b) `psql \copy` of the same file into a table shaped and indexed like
 *       `contacts` (identity key, unique lower(email), created_at, a GIN
 *       entry per custom field): what loading these rows costs Postgres
 *       with the indexes segments need, before any validation or merging.
 * The headline is the ratio of (a) to (b), the baseline being the median of
 * three loads; the target is >= 0.6. For context it also prints `\copy` into
 * a bare table with only the unique email index, the CPU the worker, the api
 * and Postgres used during (a), and the worker's peak RSS (VmHWM; target
 * <= 300 MB).
 */
import { execFileSync } from 'node:child_process';
import { openAsBlob, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { generateContactsCsv } from './lib/generate.js';
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

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const COPY_RUNS = 3;
/** Herald's rows/s over `\copy` into a table indexed like contacts, at least. */
const TARGET_RATIO = 0.6;
const TARGET_RSS_MB = 300;
const DB_NAME = 'herald_bench_import';
const PORT = process.env.BENCH_PORT ?? '3917';
const DATA_DIR = resolve('bench/.data');
const ADMIN = { email: 'bench@example.com', password: 'bench-password-123' };

async function main(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const csvPath = join(DATA_DIR, `contacts-${ROWS}.csv`);
  let started = Date.now();
  const bytes = await generateContactsCsv(csvPath, ROWS);
  console.log(`Generated ${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB) in ${Date.now() - started} ms: ${csvPath}`);

  await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB_NAME}`);
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl(DB_NAME),
    PORT,
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${PORT}`,
    HERALD_QUEUE_PREFIX: `herald-bench-${process.pid}`,
    HERALD_ADMIN_EMAIL: ADMIN.email,
    HERALD_ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'warn',
  };
  const api = startNode('api', 'dist/apps/api/src/main.js', env);
  let worker: ReturnType<typeof startNode> | undefined;
  const db = new pg.Client({ connectionString: databaseUrl(DB_NAME) });
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await waitForHealth(base, api);
    worker = startNode('worker', 'dist/apps/worker/src/main.js', { ...env, HERALD_MIGRATE_ON_START: 'false' });
    await waitForOutput(worker, /processing jobs/);
    await db.connect();
    // The three custom fields, typed, so the import coerces every value as it would in production.
    await db.query(
      `INSERT INTO fields (name, type) VALUES ('city', 'text'), ('score', 'number'), ('signup_date', 'date')`,
    );

    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    });
    const { token } = (await login.json()) as { token: string };

    const idleRss = peakRssMb(worker.pid);
    const cpuBefore = { api: cpuSeconds(api.pid), worker: cpuSeconds(worker.pid), postgres: postgresCpuSeconds() };
    // (a) Herald: upload, then poll until the job reports done.
    started = Date.now();
    const form = new FormData();
    form.append('mode', 'upsert');
    form.append('unknownColumns', 'attributes');
    form.append('file', await openAsBlob(csvPath, { type: 'text/csv' }), 'contacts.csv');
    const created = await fetch(`${base}/api/v1/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    if (created.status !== 202) throw new Error(`upload answered ${created.status}: ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const uploadedMs = Date.now() - started;
    let status: Record<string, unknown> = {};
    let lastPrint = 0;
    for (;;) {
      const res = await fetch(`${base}/api/v1/imports/${id}`, { headers: { authorization: `Bearer ${token}` } });
      status = (await res.json()) as Record<string, unknown>;
      if (status.status === 'done' || status.status === 'failed') break;
      if (Date.now() - lastPrint > 2000) {
        lastPrint = Date.now();
        console.log(`  progress ${Number(status.progress).toFixed(2)}, rows read ${fmt(Number(status.rowsRead))}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const heraldMs = Date.now() - started;
    const rss = peakRssMb(worker.pid);
    const cpu = {
      api: cpuSeconds(api.pid) - cpuBefore.api,
      worker: cpuSeconds(worker.pid) - cpuBefore.worker,
      postgres: postgresCpuSeconds() - cpuBefore.postgres,
    };
    if (status.status !== 'done') throw new Error(`import failed: ${String(status.error)}`);
    const contacts = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts');
    if (status.inserted !== ROWS || contacts.rows[0].n !== ROWS) {
      throw new Error(`expected ${ROWS} contacts, got ${JSON.stringify(status)} / ${contacts.rows[0].n} in the table`);
    }

    // (b) psql \copy of the same file into a table indexed as contacts are
    // (identity key, unique lower(email), created_at, a GIN entry per custom field).
    const indexedRuns = await copyMedian(
      db,
      csvPath,
      `CREATE TABLE bench_copy (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, first_name text,
         last_name text, city text, score text, signup_date text, created_at timestamptz NOT NULL DEFAULT now());
       CREATE UNIQUE INDEX ON bench_copy (lower(email) text_pattern_ops);
       CREATE INDEX ON bench_copy (created_at);
       CREATE INDEX ON bench_copy USING gin ((ARRAY[city, score, signup_date]))`,
      '(email, first_name, last_name, city, score, signup_date)',
    );
    // For context, not a target: the same load into a bare table with only the unique email index.
    const bareRuns = await copyMedian(
      db,
      csvPath,
      `CREATE TABLE bench_copy (email text, first_name text, last_name text, city text, score text, signup_date text);
       CREATE UNIQUE INDEX ON bench_copy (lower(email))`,
    );

    const heraldRate = ROWS / (heraldMs / 1000);
    const indexedRate = ROWS / (indexedRuns.median / 1000);
    const bareRate = ROWS / (bareRuns.median / 1000);
    const ratio = heraldRate / indexedRate;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log('');
    console.log(
      `HEADLINE ratio herald / \\copy into a table indexed like contacts: ${ratio.toFixed(2)}  ` +
        `(target >= ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)})`,
    );
    console.log(
      `HEADLINE worker peak RSS: ${rss === undefined ? 'n/a' : `${rss.toFixed(0)} MB`}  ` +
        `(target <= ${TARGET_RSS_MB} MB: ${rss === undefined ? 'n/a' : verdict(rss <= TARGET_RSS_MB)}; ` +
        `${idleRss?.toFixed(0)} MB before the import)`,
    );
    console.log('');
    console.log(`rows                     ${fmt(ROWS)} (${(statSync(csvPath).size / 1e6).toFixed(1)} MB)`);
    console.log(
      `herald import (e2e)      ${fmt(heraldRate)} rows/s  (${(heraldMs / 1000).toFixed(2)} s, upload ${(uploadedMs / 1000).toFixed(2)} s)`,
    );
    console.log(
      `  cpu during the import  worker ${cpu.worker.toFixed(1)} s, api ${cpu.api.toFixed(1)} s, postgres ${cpu.postgres.toFixed(1)} s`,
    );
    console.log(`\\copy, indexed like contacts  ${fmt(indexedRate)} rows/s  (${describe(indexedRuns)})`);
    console.log(`context: \\copy into a bare table (unique lower(email) only)`);
    console.log(
      `                         ${fmt(bareRate)} rows/s  (${describe(bareRuns)}); ratio herald / bare ${(heraldRate / bareRate).toFixed(2)}`,
    );
  } finally {
    await db.end().catch(() => undefined);
    if (worker) await stop(worker);
    await stop(api);
    if (!process.env.BENCH_KEEP_DB) await admin(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  }
}

interface CopyRuns {
  runs: number[];
  median: number;
}

/**
 * `psql \\copy` of the CSV into `bench_copy`, made afresh by `createTable` before
 * each of COPY_RUNS loads. One load's time varies from run to run, so the
 * median is what the ratio uses.
 */
async function copyMedian(db: pg.Client, csvPath: string, createTable: string, columns = ''): Promise<CopyRuns> {
  const runs: number[] = [];
  for (let run = 0; run < COPY_RUNS; run += 1) {
    await db.query(`DROP TABLE IF EXISTS bench_copy; ${createTable}`);
    const started = Date.now();
    execFileSync(
      'psql',
      [
        databaseUrl(DB_NAME),
        '-v',
        'ON_ERROR_STOP=1',
        '-q',
        '-c',
        `\\copy bench_copy ${columns} FROM '${csvPath}' WITH (FORMAT csv, HEADER true)`,
      ],
      { stdio: 'inherit' },
    );
    runs.push(Date.now() - started);
  }
  return { runs, median: [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)] };
}

const describe = ({ runs, median }: CopyRuns): string =>
  `median ${(median / 1000).toFixed(2)} s of ${runs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
