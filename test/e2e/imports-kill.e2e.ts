import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedCsv, upload, waitForImport } from '../fixtures/csv/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { isAlive, startWorkerProcess } from '../support/worker-process.js';

const ROWS = 20_000;

describe('an import survives its worker being killed', () => {
  let t: TestApp;
  const workers: ChildProcess[] = [];

  const startWorker = async () => {
    const child = await startWorkerProcess(t, { HERALD_IMPORT_BATCH_ROWS: '250' });
    workers.push(child);
    return child;
  };

  const row = async (id: string) =>
    (
      await t.db.query(
        `SELECT status, rows_read::int, inserted::int, updated::int, skipped::int, failed::int FROM imports WHERE id = $1`,
        [id],
      )
    ).rows[0];

  // The first worker starts before the test: only what follows the kill is on the clock.
  let first: ChildProcess;
  beforeAll(async () => {
    t = await startTestApp();
    first = await startWorker();
  });
  afterAll(async () => {
    for (const child of workers) if (isAlive(child)) child.kill('SIGKILL');
    await t.close();
  });

  it('is finished by the next worker, exactly once, after a SIGKILL mid-import', async () => {
    const data = numberedCsv(ROWS, 500);
    const res = await upload(t, Buffer.from(data.text), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const id: string = res.body.id;

    const deadline = Date.now() + 30_000;
    while ((await row(id)).rows_read === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    first.kill('SIGKILL');
    await once(first, 'exit');

    const killed = await row(id);
    expect(killed.status).toBe('running');
    expect(killed.rows_read).toBeGreaterThan(0);
    expect(killed.rows_read).toBeLessThan(ROWS);

    // The dead worker's job is still "active" in Redis; the next worker must not wait for it.
    await startWorker();
    // Well inside BullMQ's 30 s stalled-job lock: recovery must not depend on it.
    const done = await waitForImport(t, id, 20_000);
    expect(done).toMatchObject({ status: 'done', rowsRead: ROWS, inserted: data.valid, failed: data.invalid });
    expect(done.updated + done.skipped).toBe(0);

    const contacts = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT lower(email))::int AS d FROM contacts`,
    );
    expect(contacts.rows[0]).toEqual({ n: data.valid, d: data.valid });
    const errors = await t.db.query(`SELECT count(*)::int AS n FROM import_errors WHERE import_id = $1`, [id]);
    expect(errors.rows[0].n).toBe(data.invalid);
    // Starting the next worker process from sources takes most of the time on a busy machine; the
    // recovery itself is bounded above (20 s).
  }, 90_000);
});
