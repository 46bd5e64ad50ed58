import { request as httpGet, type IncomingMessage } from 'node:http';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService, AuthService } from '../../libs/auth/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

const RULES = { all: [{ field: 'email', op: 'contains', value: 'example' }] };

/** Polls until `check` holds, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition still false after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Queries of this test database that wait for a lock on contacts (previews blocked behind `lockContacts`). */
async function waitingOnLock(t: TestApp): Promise<number> {
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0].n;
}

/** Holds an exclusive lock on contacts, so every segment count blocks until `release`. */
async function lockContacts(t: TestApp): Promise<{ release(): Promise<void> }> {
  const client: pg.PoolClient = await t.db.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE contacts IN ACCESS EXCLUSIVE MODE');
  return {
    async release() {
      await client.query('ROLLBACK');
      client.release();
    },
  };
}

async function secondUser(t: TestApp): Promise<string> {
  const id = await t.app.get(AuthService).createUser('second@example.com', 'another long passphrase', 'member');
  return (await t.app.get(ApiKeysService).create(id, 'second')).key;
}

describe('pool pressure: slow segment counts', () => {
  let t: TestApp;
  let otherKey: string;
  beforeAll(async () => {
    t = await startTestApp({
      env: { HERALD_DB_POOL_SIZE: '4', HERALD_DB_ACQUIRE_TIMEOUT_MS: '1000', HERALD_SEGMENT_TIMEOUT_MS: '25000' },
    });
    otherKey = await secondUser(t);
  });
  afterAll(async () => t.close());

  it('lets one user run two previews or counts at once and answers the next 429, other users unaffected', async () => {
    const segment = await t.request('POST', '/api/v1/segments', { body: { name: 'All', rules: RULES } });
    expect(segment.status).toBe(201);
    const lock = await lockContacts(t);
    const pending: Promise<{ status: number }>[] = [];
    try {
      pending.push(
        t.request('POST', '/api/v1/segments/preview', { body: { rules: RULES } }),
        t.request('GET', `/api/v1/segments/${segment.body.id}`),
      );
      await until(async () => (await waitingOnLock(t)) === 2);
      const third = await t.request('POST', '/api/v1/segments/preview', { body: { rules: RULES } });
      expect(third.status).toBe(429);
      expect(third.body.message).toMatch(/At most 2 segment previews and counts may run at once per user/);
      // Another user is not held back by the first one's cap.
      pending.push(t.request('POST', '/api/v1/segments/preview', { body: { rules: RULES }, auth: otherKey }));
      await until(async () => (await waitingOnLock(t)) === 3);
    } finally {
      await lock.release();
    }
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200, 200]);
    // The slots are given back once the requests end.
    expect((await t.request('POST', '/api/v1/segments/preview', { body: { rules: RULES } })).status).toBe(200);
  });

  it('bounds the wait for a connection with a 503, while /health says busy rather than down', async () => {
    const lock = await lockContacts(t);
    const pending: Promise<{ status: number }>[] = [];
    try {
      // Four slow counts from two users take the whole pool of four.
      for (const auth of [t.apiKey, t.apiKey, otherKey, otherKey]) {
        pending.push(t.request('POST', '/api/v1/segments/preview', { body: { rules: RULES }, auth }));
      }
      await until(async () => (await waitingOnLock(t)) === 4);

      const started = Date.now();
      const lists = await t.request('GET', '/api/v1/lists');
      expect(lists.status, lists.text).toBe(503);
      expect(Number(lists.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(lists.body.message).toMatch(/database is unavailable right now \(no free connection in time\)/);
      expect(Date.now() - started).toBeLessThan(15_000);

      const health = await t.request('GET', '/health', { auth: false });
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', database: 'busy', redis: 'up' });
    } finally {
      await lock.release();
    }
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await t.request('GET', '/api/v1/lists')).status).toBe(200);
    expect((await t.request('GET', '/health', { auth: false })).body).toMatchObject({ database: 'up' });
  });
});

describe('pool pressure: exports', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_EXPORT_IDLE_TIMEOUT_MS: '1000', HERALD_SEGMENT_TIMEOUT_MS: '1500' } });
  });
  afterAll(async () => t.close());

  const copiesRunning = async (): Promise<number> => {
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%'`,
    );
    return rows[0].n;
  };

  it('cuts an export whose client stops reading and gives its connection back', async () => {
    // Far more than the socket buffers hold, so the COPY stalls on the unread client.
    await t.db.query(
      `INSERT INTO contacts (email, first_name) SELECT 'idle' || g || '@example.com', repeat('n', 100)
       FROM generate_series(1, 150000) g`,
    );
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpGet(`${t.url}/api/v1/contacts/export.csv`, {
        headers: { authorization: `Bearer ${t.apiKey}` },
      });
      req.on('response', resolve).on('error', reject).end();
    });
    expect(res.statusCode).toBe(200);
    res.pause(); // and read nothing more for a while
    await until(async () => (await copiesRunning()) === 1);

    // Cut after a second idle: the COPY ends and its connection goes...
    await until(async () => (await copiesRunning()) === 0);
    // ...and the client, reading again, finds a download cut short.
    const ended = new Promise<boolean>((resolve) => res.once('close', () => resolve(res.complete)));
    res.resume();
    expect(await ended).toBe(false);
    await t.db.query(`DELETE FROM contacts WHERE email LIKE 'idle%'`);
    expect((await t.request('GET', '/api/v1/lists')).status).toBe(200);
  });

  it('stops selecting a segment to export at the segment timeout', async () => {
    const segment = await t.request('POST', '/api/v1/segments', { body: { name: 'All', rules: RULES } });
    const lock = await lockContacts(t);
    try {
      const res = await t.request('GET', `/api/v1/contacts/export.csv?segmentId=${segment.body.id}`);
      expect(res.status, res.text).toBe(422);
      expect(res.body.message).toMatch(/took longer than 1500 ms/);
    } finally {
      await lock.release();
    }
    expect(await copiesRunning()).toBe(0);
    const ok = await t.request('GET', `/api/v1/contacts/export.csv?segmentId=${segment.body.id}`);
    expect(ok.status).toBe(200);
  });
});
