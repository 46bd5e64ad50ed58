import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { upload, waitForImport } from '../fixtures/csv/index.js';

const ADDRESSES = 300;

/**
 * Each address three times, in three spellings of its case, far apart in
 * the file: the last spelling's name must win, wherever the lanes cut their
 * batches.
 */
function repeatedAddresses(): string {
  const lines = ['email,first_name'];
  for (const [round, spell] of [
    [1, (s: string) => s.toUpperCase()],
    [2, (s: string) => s],
    [3, (s: string) => s[0].toUpperCase() + s.slice(1)],
  ] as const) {
    for (let i = 1; i <= ADDRESSES; i += 1) lines.push(`${spell(`user${i}@example.com`)},Round ${round}`);
  }
  return lines.join('\n');
}

describe('import lanes', () => {
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_IMPORT_LANES: '3', HERALD_IMPORT_BATCH_ROWS: '40' } });
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
  });
  const startWorker = async () => {
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.config), { logger: false });
    await worker.init();
  };
  const lanes = async (id: string) =>
    (await t.db.query(`SELECT lane, checkpoint_row::int FROM import_lanes WHERE import_id = $1 ORDER BY lane`, [id]))
      .rows;

  it('spreads rows over the lanes and keeps the last copy of each address in file order', async () => {
    await startWorker();
    const res = await upload(t, Buffer.from(repeatedAddresses()), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const done = await waitForImport(t, res.body.id);
    expect(done).toMatchObject({ status: 'done', rowsRead: 3 * ADDRESSES, inserted: ADDRESSES, failed: 0 });
    expect(done.updated + done.skipped).toBe(2 * ADDRESSES);

    const contacts = await t.db.query<{ first_name: string; n: number }>(
      `SELECT first_name, count(*)::int AS n FROM contacts GROUP BY first_name`,
    );
    expect(contacts.rows).toEqual([{ first_name: 'Round 3', n: ADDRESSES }]);
    // Every lane got rows and ends at the last one.
    expect(await lanes(res.body.id)).toEqual([0, 1, 2].map((lane) => ({ lane, checkpoint_row: 3 * ADDRESSES })));
    await worker?.close();
    worker = undefined;
  });

  it('merges addresses that only Postgres lower-cases alike, even from different lanes', async () => {
    await t.db.query(`TRUNCATE contacts CASCADE`);
    await startWorker();
    // JavaScript lower-cases "İ" to "i̇" (two code points), Postgres to "i": one contact
    // for Postgres, two keys for the lanes.
    const lines = ['email,first_name'];
    for (let i = 1; i <= ADDRESSES; i += 1) lines.push(`İx${i}@example.com,Dotted`, `ix${i}@example.com,Plain`);
    const res = await upload(t, Buffer.from(lines.join('\n')), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const done = await waitForImport(t, res.body.id);
    expect(done).toMatchObject({ status: 'done', rowsRead: 2 * ADDRESSES, inserted: ADDRESSES, failed: 0 });
    const contacts = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts`);
    expect(contacts.rows[0].n).toBe(ADDRESSES);
    await worker?.close();
    worker = undefined;
  });

  it('resumes an import begun before lanes existed from its single checkpoint', async () => {
    await t.db.query(`TRUNCATE contacts CASCADE`);
    const res = await upload(t, Buffer.from(repeatedAddresses()), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const id: string = res.body.id;
    // As an older worker left it: the first 250 rows committed, counted on the import itself.
    await t.db.query(
      `UPDATE imports SET status = 'running', started_at = now(), rows_read = 250, inserted = 250 WHERE id = $1`,
      [id],
    );
    await startWorker();
    const done = await waitForImport(t, id);
    expect(done).toMatchObject({ status: 'done', rowsRead: 3 * ADDRESSES, failed: 0 });
    expect(await lanes(id)).toHaveLength(3);
    // Rows 1-250 (round 1, upper case) were not read again: their addresses arrive in round 2.
    const first = await t.db.query(`SELECT email FROM contacts WHERE lower(email) = 'user1@example.com'`);
    expect(first.rows).toEqual([{ email: 'User1@example.com' }]);
    const created = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts`);
    expect(created.rows[0].n).toBe(ADDRESSES);
  });
});
