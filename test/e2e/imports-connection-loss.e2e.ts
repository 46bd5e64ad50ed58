import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedCsv, upload, waitForImport } from '../fixtures/csv/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { isAlive, startWorkerProcess } from '../support/worker-process.js';

const ROWS = 20_000;

describe('an import whose database connections are cut mid-run', () => {
  let t: TestApp;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    worker = await startWorkerProcess(t, { HERALD_IMPORT_BATCH_ROWS: '250' });
  });
  afterAll(async () => {
    if (worker && isAlive(worker)) worker.kill('SIGKILL');
    await t.close();
  });

  const rowsRead = async (id: string): Promise<number> =>
    (await t.db.query<{ n: number }>(`SELECT rows_read::int AS n FROM imports WHERE id = $1`, [id])).rows[0].n;

  async function waitForRowsRead(id: string, above: number): Promise<number> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const n = await rowsRead(id);
      if (n > above) return n;
      if (Date.now() > deadline) throw new Error(`rows_read stayed at ${n}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /**
   * What a Postgres restart does to the import's own connections, without
   * restarting the server this suite shares: their backends end with
   * "terminating connection due to administrator command".
   */
  const terminateImportConnections = async (): Promise<number> =>
    (
      await t.db.query<{ n: number }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE application_name = 'herald-import' AND datname = current_database()`,
      )
    ).rows[0].n;

  /** Cuts the import's connections as soon as it has some (between runs it has none). */
  async function cutImportConnections(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((await terminateImportConnections()) === 0) {
      if (Date.now() > deadline) throw new Error('the import never connected again');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('ends only that run: the worker process lives on and the import completes exactly once', async () => {
    const data = numberedCsv(ROWS, 400);
    if (!worker) throw new Error('no worker');
    const res = await upload(t, Buffer.from(data.text), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const id: string = res.body.id;

    // Cut twice: the first run, then the run that resumed it.
    let seen = await waitForRowsRead(id, 0);
    for (let cut = 0; cut < 2; cut += 1) {
      expect(isAlive(worker)).toBe(true);
      await cutImportConnections();
      expect(seen).toBeLessThan(ROWS);
      seen = await waitForRowsRead(id, seen);
    }

    const done = await waitForImport(t, id, 30_000);
    expect(isAlive(worker)).toBe(true);
    expect(done).toMatchObject({ status: 'done', rowsRead: ROWS, inserted: data.valid, failed: data.invalid });
    expect(done.updated + done.skipped).toBe(0);
    const contacts = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT lower(email))::int AS d FROM contacts`,
    );
    expect(contacts.rows[0]).toEqual({ n: data.valid, d: data.valid });
    const errors = await t.db.query(`SELECT count(*)::int AS n FROM import_errors WHERE import_id = $1`, [id]);
    expect(errors.rows[0].n).toBe(data.invalid);
  });
});
