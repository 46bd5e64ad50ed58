import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthService } from '../../libs/auth/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('auth', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_LOGIN_MAX_FAILURES: '3' } });
  });
  afterAll(async () => t.close());

  it('rejects /api/v1 without credentials, with a clear message', async () => {
    const res = await t.request('GET', '/api/v1/auth/me', { auth: false });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('rejects an unknown or malformed bearer token', async () => {
    expect((await t.request('GET', '/api/v1/auth/me', { auth: 'hk_nope_nope' })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: 'x'.repeat(5000) })).status).toBe(401);
  });

  it("drops the user's expired sessions when they log in", async () => {
    await t.db.query(
      `INSERT INTO sessions (user_id, token_hash, expires_at)
       SELECT id, 'expired-session', now() - interval '1 day' FROM users WHERE email = $1`,
      [t.adminEmail],
    );
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    const left = await t.db.query(`SELECT count(*)::int AS n FROM sessions WHERE token_hash = 'expired-session'`);
    expect(left.rows[0].n).toBe(0);
  });

  it('logs in with a session cookie and a token, and logs out', async () => {
    const login = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: t.adminEmail.toUpperCase(), password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/herald_session=[^;]+;.*HttpOnly/i);
    const sessionCookie = cookie.split(';')[0];

    const viaCookie = await t.request('GET', '/api/v1/auth/me', { auth: false, headers: { cookie: sessionCookie } });
    expect(viaCookie.body).toMatchObject({ email: t.adminEmail, via: 'session' });
    const viaToken = await t.request('GET', '/api/v1/auth/me', { auth: login.body.token });
    expect(viaToken.status).toBe(200);

    expect((await t.request('POST', '/api/v1/auth/logout', { auth: login.body.token })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: login.body.token })).status).toBe(401);
  });

  it('answers bad login input with 400 naming the field', async () => {
    const res = await t.request('POST', '/api/v1/auth/login', { auth: false, body: { email: 42, password: '' } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.fields)).toEqual(expect.arrayContaining(['email', 'password']));
    const malformed = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      raw: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
  });

  it('throttles repeated failed logins with 429', async () => {
    const attempt = () =>
      t.request('POST', '/api/v1/auth/login', {
        auth: false,
        body: { email: 'victim@example.com', password: 'wrong password' },
      });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('counts a burst of parallel guesses before checking any of them', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request('POST', '/api/v1/auth/login', {
          auth: false,
          // The app trusts X-Forwarded-For from loopback: a client address of this test's own.
          headers: { 'x-forwarded-for': '198.51.100.7' },
          body: { email: 'burst@example.com', password: 'wrong password' },
        }),
      ),
    ).then((responses) => responses.map((r) => r.status).sort());
    expect(statuses).toEqual([...Array(3).fill(401), ...Array(7).fill(429)]);
  });

  it('does not count successful logins against the IP', async () => {
    for (let i = 0; i < 5; i += 1) {
      const res = await t.request('POST', '/api/v1/auth/login', {
        auth: false,
        headers: { 'x-forwarded-for': '198.51.100.8' },
        body: { email: t.adminEmail, password: t.adminPassword },
      });
      expect(res.status, `login ${i + 1}`).toBe(200);
    }
  });

  it('creates API keys shown once, lists them without the secret, and revokes them', async () => {
    const created = await t.request<{ id: string; key: string; prefix: string }>('POST', '/api/v1/api-keys', {
      body: { name: 'CRM sync' },
    });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^hk_/);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: created.body.key })).body).toMatchObject({
      via: 'api_key',
    });

    const list = await t.request<{ items: Record<string, unknown>[] }>('GET', '/api/v1/api-keys');
    expect(list.text).not.toContain(created.body.key);
    expect(list.body.items.map((k) => k.name)).toContain('CRM sync');

    expect((await t.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: created.body.key })).status).toBe(401);
    expect((await t.request('DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(404);
    expect((await t.request('DELETE', '/api/v1/api-keys/not-an-id')).status).toBe(400);
  });

  it("records an API key's last use to the minute, without a write per request", async () => {
    const created = await t.request<{ id: string; key: string }>('POST', '/api/v1/api-keys', {
      body: { name: 'busy' },
    });
    const lastUsed = async () =>
      (await t.db.query('SELECT last_used_at FROM api_keys WHERE id = $1', [created.body.id])).rows[0]
        .last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    expect((await t.request('GET', '/api/v1/auth/me', { auth: created.body.key })).status).toBe(200);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: created.body.key })).status).toBe(200);
    expect(await lastUsed()).toEqual(first);

    await t.db.query(`UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1`, [
      created.body.id,
    ]);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: created.body.key })).status).toBe(200);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('serves the OpenAPI document and health without auth', async () => {
    const docs = await t.request<{ paths: Record<string, unknown> }>('GET', '/api/docs-json', { auth: false });
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toContain('/api/v1/auth/login');
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.body).toEqual({ status: 'ok', database: 'up', redis: 'up', workers: { live: 0 } });
  });
});

describe('first admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      env: { HERALD_ADMIN_EMAIL: 'owner@example.com', HERALD_ADMIN_PASSWORD: 'first-admin-password' },
    });
    await t.db.query('DELETE FROM users');
  });
  afterAll(async () => t.close());

  it('lets a process that loses the race to create it start normally', async () => {
    // Another api process is creating the same admin: its row is written, not yet committed.
    const other = await t.db.connect();
    try {
      await other.query('BEGIN');
      await other.query(`INSERT INTO users (email, password_hash, role) VALUES ('owner@example.com', 'x', 'admin')`);
      const pending = t.app.get(AuthService).ensureFirstAdmin();
      const settled = pending.then(
        () => 'resolved',
        (error: Error) => error.message,
      );
      for (let i = 0; i < 100; i += 1) {
        const { rows } = await t.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [t.database.name],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('COMMIT');
      expect(await settled).toBe('resolved');
    } finally {
      other.release();
    }
    const { rows } = await t.db.query('SELECT email, role FROM users');
    expect(rows).toEqual([{ email: 'owner@example.com', role: 'admin' }]);
  });

  it('creates it from HERALD_ADMIN_EMAIL / HERALD_ADMIN_PASSWORD on an empty database', async () => {
    await t.db.query('DELETE FROM users');
    await t.app.get(AuthService).ensureFirstAdmin();
    await t.app.get(AuthService).ensureFirstAdmin();
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: 'owner@example.com', password: 'first-admin-password' },
    });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ user: { email: 'owner@example.com', role: 'admin' } });
    expect((await t.db.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(1);
  });
});
