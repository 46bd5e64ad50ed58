import { inflateRawSync } from 'node:zlib';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { upload } from '../fixtures/csv/index.js';

const ROWS = 20_000;

/** Every 100th row repeats an address from 50 rows earlier, every 1000th is invalid. */
function csv(): { text: string; unique: number; invalid: number } {
  const lines = ['email,first_name,visits'];
  let unique = 0;
  let invalid = 0;
  for (let i = 1; i <= ROWS; i += 1) {
    if (i % 1000 === 0) {
      lines.push(`broken-${i},Broken,1`);
      invalid += 1;
    } else if (i % 100 === 0) lines.push(`user${i - 50}@example.com,Again,${i}`);
    else {
      lines.push(`user${i}@example.com,User ${i},${i}`);
      unique += 1;
    }
  }
  return { text: lines.join('\n'), unique, invalid };
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('an import survives its worker going away', () => {
  // The API alone; workers are separate processes-to-be that come and go.
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  const startWorker = async () => {
    worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.config), { logger: false });
    await worker.init();
  };
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_IMPORT_BATCH_ROWS: '200' } });
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
  });

  const row = async (id: string) =>
    (
      await t.db.query(
        `SELECT status, rows_read::int, inserted::int, updated::int, skipped::int, failed::int FROM imports WHERE id = $1`,
        [id],
      )
    ).rows[0];

  async function interruptAndResume(loseTheJob: boolean) {
    const data = csv();
    await startWorker();
    const res = await upload(t, Buffer.from(data.text), { mode: 'upsert' });
    expect(res.status).toBe(202);
    const id: string = res.body.id;
    await waitFor(
      () => row(id),
      (r) => r.rows_read > 0,
    );

    // The worker shuts down mid-import: it stops after the batch in flight commits.
    await worker?.close();
    const stopped = await row(id);
    expect(stopped.status).toBe('running');
    expect(stopped.rows_read).toBeGreaterThan(0);
    expect(stopped.rows_read).toBeLessThan(ROWS);
    expect(stopped.inserted + stopped.updated + stopped.skipped + stopped.failed).toBe(stopped.rows_read);

    // Progress while it runs, through the API.
    const view = await t.request('GET', `/api/v1/imports/${id}`);
    expect(view.body).toMatchObject({ status: 'running', rowsRead: stopped.rows_read, inserted: stopped.inserted });
    expect(view.body.progress).toBeGreaterThan(0);
    expect(view.body.progress).toBeLessThan(1);

    if (loseTheJob) {
      // Redis forgets the job (flushed, failed over): Postgres still knows the import is unfinished.
      const queue = new Queue('imports', {
        connection: { url: t.config.REDIS_URL },
        prefix: t.config.HERALD_QUEUE_PREFIX,
      });
      await queue.obliterate({ force: true });
      await queue.close();
    }

    // A worker comes back and finishes from the checkpoint.
    await startWorker();
    const done = await waitFor(
      () => row(id),
      (r) => r.status !== 'running' && r.status !== 'queued',
    );
    expect(done).toEqual({
      status: 'done',
      rows_read: ROWS,
      inserted: data.unique,
      updated: expect.any(Number),
      skipped: expect.any(Number),
      failed: data.invalid,
    });
    // Repeats land as updates (earlier batch) or skips (same batch): each row counted once.
    expect(done.updated + done.skipped).toBe(ROWS - data.unique - data.invalid);
    const errors = await t.db.query(`SELECT count(*)::int AS n FROM import_errors WHERE import_id = $1`, [id]);
    expect(errors.rows[0].n).toBe(data.invalid);
    await worker?.close();
    worker = undefined;
    return { id, data, done };
  }

  it('keeps the upload in Postgres, chunk by chunk, for any worker until its import ends', async () => {
    // Over two 1 MiB chunks, so the reader crosses chunk boundaries mid-record.
    const lines = ['email,first_name'];
    for (let i = 1; i <= 60_000; i += 1) lines.push(`chunked${i}@example.com,Chunked ${i}`);
    const file = Buffer.from(lines.join('\n'));
    expect(file.length).toBeGreaterThan(2 * 1024 * 1024);
    const res = await upload(t, file, { mode: 'upsert' });
    expect(res.status).toBe(202);
    const stored = await t.db.query<{ data: Buffer }>(
      `SELECT c.data FROM imports i JOIN import_upload_chunks c ON c.upload_id = i.upload_id
       WHERE i.id = $1 ORDER BY c.seq`,
      [res.body.id],
    );
    expect(stored.rows).toHaveLength(3);
    // Each chunk is a MiB of the file, deflated.
    expect(Buffer.concat(stored.rows.map((r) => inflateRawSync(r.data))).equals(file)).toBe(true);

    await startWorker();
    const done = await waitFor(
      () => row(res.body.id),
      (r) => r.status !== 'running' && r.status !== 'queued',
    );
    expect(done).toMatchObject({ status: 'done', rows_read: 60_000, inserted: 60_000, failed: 0 });
    const left = await t.db.query(`SELECT count(*)::int AS n FROM import_uploads`);
    expect(left.rows[0].n).toBe(0);
    await worker?.close();
    worker = undefined;
    await t.db.query('TRUNCATE contacts CASCADE');
  });

  it('resumes after a shutdown mid-import without duplicates or double counts', async () => {
    const { data, done } = await interruptAndResume(false);
    expect(done.inserted).toBe(data.unique);
    const contacts = await t.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT lower(email))::int AS d FROM contacts`,
    );
    expect(contacts.rows[0]).toEqual({ n: data.unique, d: data.unique });
    // A later duplicate in another batch updated the earlier row.
    const again = await t.db.query(`SELECT first_name, attributes FROM contacts WHERE email = 'user50@example.com'`);
    expect(again.rows[0].first_name).toBe('Again');
  });

  it('is picked up again from Postgres when Redis lost its job', async () => {
    await t.db.query('TRUNCATE contacts CASCADE');
    const { data, done } = await interruptAndResume(true);
    expect(done.inserted).toBe(data.unique);
    const contacts = await t.db.query(`SELECT count(*)::int AS n FROM contacts`);
    expect(contacts.rows[0].n).toBe(data.unique);
  });
});
