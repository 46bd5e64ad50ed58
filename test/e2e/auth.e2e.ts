import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
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

  it('does not mark the session cookie Secure when PUBLIC_URL is http', async () => {
    expect(t.config.PUBLIC_URL).toMatch(/^http:/);
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.headers.get('set-cookie')).toMatch(/^herald_session=/);
    expect(login.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
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
    const responses = [];
    for (let i = 0; i < 4; i += 1) responses.push(await attempt());
    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    const retryAfter = Number(responses[3].headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(responses[3].body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
  });

  // The app trusts X-Forwarded-For from loopback: each test below speaks for clients of its own.
  const loginFrom = (ip: string, email: string, password: string) =>
    t.request('POST', '/api/v1/auth/login', {
      auth: false,
      headers: { 'x-forwarded-for': ip },
      body: { email, password },
    });

  it("does not let an attacker's failed guesses lock the user out from another client", async () => {
    const attacker = '203.0.113.10';
    const guesses = [];
    for (let i = 0; i < 4; i += 1) guesses.push((await loginFrom(attacker, t.adminEmail, 'guess ' + i)).status);
    expect(guesses).toEqual([401, 401, 401, 429]);
    // The attacker stays refused, even with the right password...
    expect((await loginFrom(attacker, t.adminEmail, t.adminPassword)).status).toBe(429);
    // ...while the admin, from their own address, signs in.
    expect((await loginFrom('198.51.100.20', t.adminEmail, t.adminPassword)).status).toBe(200);
  });

  it('throttles a client that tries one password over many addresses', { timeout: 120_000 }, async () => {
    const sprayer = '203.0.113.30';
    // 3 failures per address, and 5 times that per client over all addresses.
    const statuses = await Promise.all(
      Array.from({ length: 15 }, (_, i) => loginFrom(sprayer, `user${i}@example.com`, 'Summer2026!')),
    ).then((responses) => responses.map((r) => r.status));
    expect(statuses).toEqual(Array(15).fill(401));
    expect((await loginFrom(sprayer, 'user15@example.com', 'Summer2026!')).status).toBe(429);
    expect((await loginFrom('198.51.100.31', 'user0@example.com', 'Summer2026!')).status).toBe(401);
  });

  it('counts an IPv6 client by its /64, so fresh addresses in it are no fresh tries', async () => {
    const statuses = [];
    for (let i = 1; i <= 4; i += 1) {
      statuses.push((await loginFrom(`2001:db8:7:7::${i}`, 'v6@example.com', 'wrong password')).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect((await loginFrom('2001:db8:7:8::1', 'v6@example.com', 'wrong password')).status).toBe(401);
  });

  it(
    'gives each client fewer tries at an address under a distributed attack, never refusing a right password',
    {
      timeout: 120_000,
    },
    async () => {
      const email = 'target@example.com';
      const password = 'target password 2026';
      await t.app.get(AuthService).createUser(email, password, 'member');
      // Three clients spend their 3 tries each: 9 failures, 3 times the limit, from anywhere.
      const attackers = ['203.0.113.41', '203.0.113.42', '203.0.113.43'].flatMap((ip) => [ip, ip, ip]);
      const statuses = await Promise.all(attackers.map((ip) => loginFrom(ip, email, 'wrong password')));
      expect(statuses.map((r) => r.status)).toEqual(Array(9).fill(401));
      // A new client now gets one try at this address, not three.
      expect((await loginFrom('203.0.113.44', email, 'wrong password')).status).toBe(401);
      expect((await loginFrom('203.0.113.44', email, 'wrong password')).status).toBe(429);
      // The user, from a client of their own, still signs in at the first try.
      expect((await loginFrom('198.51.100.45', email, password)).status).toBe(200);
      // Other addresses are untouched.
      expect((await loginFrom('203.0.113.46', t.adminEmail, 'wrong password')).status).toBe(401);
      expect((await loginFrom('203.0.113.46', t.adminEmail, 'wrong password')).status).toBe(401);
    },
  );

  it('keeps its counters in a namespace of their own, each with an expiry', async () => {
    const redis = new Redis(t.config.REDIS_URL);
    try {
      const keys = await redis.keys(`${t.config.HERALD_QUEUE_PREFIX}:*`);
      const throttle = keys.filter((key) => key.startsWith(`${t.config.HERALD_QUEUE_PREFIX}:login-throttle:`));
      expect(throttle.length).toBeGreaterThan(0);
      expect(keys.filter((key) => key.includes('login') && !throttle.includes(key))).toEqual([]);
      for (const key of throttle) expect(await redis.ttl(key), key).toBeGreaterThan(0);
      // No address in the clear: they are hashed.
      expect(throttle.filter((key) => key.includes('@'))).toEqual([]);
    } finally {
      redis.disconnect();
    }
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

describe('session cookie behind https', () => {
  let t: TestApp;
  beforeAll(async () => {
    // NODE_ENV stays "test": the public address alone decides.
    t = await startTestApp({ env: { PUBLIC_URL: 'https://mail.example.com' } });
  });
  afterAll(async () => t.close());

  it('is Secure whenever PUBLIC_URL is https, and so is its removal', async () => {
    const login = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/^herald_session=[^;]+;.*;\s*Secure/i);
    const logout = await t.request('POST', '/api/v1/auth/logout', { auth: login.body.token });
    expect(logout.headers.get('set-cookie')).toMatch(/^herald_session=;.*;\s*Secure/i);
  });
});
