import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

interface CreatedUser {
  user: { id: string; email: string; role: string; active: boolean; passwordSet: boolean };
  passwordLink: { url: string; token: string; expiresAt: string } | null;
}

describe('users and roles', () => {
  let t: TestApp;
  let memberId: string;
  let memberKey: string;
  const memberEmail = 'member@example.com';
  const memberPassword = 'member password 2026';

  /** Signs in from a client of the test's own, so no test spends another's login tries. */
  const login = (email: string, password: string, ip = '198.51.100.1') =>
    t.request<{ token: string }>('POST', '/api/v1/auth/login', {
      auth: false,
      headers: { 'x-forwarded-for': ip },
      body: { email, password },
    });

  beforeAll(async () => {
    t = await startTestApp({ env: { PUBLIC_URL: 'https://mail.example.com/' } });
    const created = await t.request<CreatedUser>('POST', '/api/v1/users', {
      body: { email: memberEmail, role: 'member', password: memberPassword },
    });
    expect(created.status).toBe(201);
    memberId = created.body.user.id;
    const session = await login(memberEmail, memberPassword);
    const key = await t.request<{ key: string }>('POST', '/api/v1/api-keys', {
      auth: session.body.token,
      body: { name: 'member script' },
    });
    expect(key.status).toBe(201);
    memberKey = key.body.key;
  });
  afterAll(async () => t.close());

  it('creates a user with an initial password, who signs in as a member', async () => {
    const me = await t.request('GET', '/api/v1/auth/me', { auth: memberKey });
    expect(me.body).toMatchObject({ email: memberEmail, role: 'member', via: 'api_key' });
    const user = await t.request('GET', `/api/v1/users/${memberId}`);
    expect(user.body).toEqual({
      id: memberId,
      email: memberEmail,
      role: 'member',
      active: true,
      passwordSet: true,
      createdAt: expect.any(String),
      deactivatedAt: null,
    });
  });

  it('refuses members every admin route with 403, and lets them do a marketer’s work', async () => {
    const adminRoutes: [string, string, unknown?][] = [
      ['GET', '/api/v1/users'],
      ['POST', '/api/v1/users', { email: 'other@example.com', role: 'admin', password: 'x'.repeat(12) }],
      ['GET', `/api/v1/users/${memberId}`],
      ['PATCH', `/api/v1/users/${memberId}`, { role: 'admin' }],
      ['POST', `/api/v1/users/${memberId}/password-link`],
      ['GET', '/api/v1/users/1/api-keys'],
      ['DELETE', '/api/v1/users/1/api-keys/1'],
    ];
    for (const [method, path, body] of adminRoutes) {
      const res = await t.request(method, path, { auth: memberKey, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body).toMatchObject({
        statusCode: 403,
        error: 'Forbidden',
        message: expect.stringContaining('admin'),
      });
    }
    expect((await t.request('GET', `/api/v1/users/${memberId}`)).body).toMatchObject({ role: 'member' });
    expect((await t.request('GET', '/api/v1/users?limit=100')).body.items).toHaveLength(2);

    expect((await t.request('GET', '/api/v1/contacts', { auth: memberKey })).status).toBe(200);
    const list = await t.request('POST', '/api/v1/lists', { auth: memberKey, body: { name: 'Members may' } });
    expect(list.status).toBe(201);
    expect((await t.request('GET', '/api/v1/api-keys', { auth: memberKey })).status).toBe(200);
  });

  it('invites a user with a one-time link that is shown once', async () => {
    const created = await t.request<CreatedUser>('POST', '/api/v1/users', {
      body: { email: 'Invitee@Example.com', role: 'member' },
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ email: 'Invitee@Example.com', passwordSet: false, active: true });
    const link = created.body.passwordLink!;
    expect(link.url).toBe(`https://mail.example.com/set-password#token=${link.token}`);
    expect(new Date(link.expiresAt).getTime()).toBeGreaterThan(Date.now() + 6 * 24 * 3600_000);

    // Until they choose a password they cannot sign in, and nothing shows the secret again.
    expect((await login('invitee@example.com', 'any password at all', '198.51.100.2')).status).toBe(401);
    const listed = await t.request('GET', '/api/v1/users');
    const shown = await t.request('GET', `/api/v1/users/${created.body.user.id}`);
    for (const res of [listed, shown]) expect(res.text).not.toContain(link.token);

    const set = await t.request('POST', '/api/v1/auth/set-password', {
      auth: false,
      body: { token: link.token, password: 'my own password 1' },
    });
    expect(set.status).toBe(204);
    expect((await login('invitee@example.com', 'my own password 1', '198.51.100.2')).status).toBe(200);
    expect((await t.request('GET', `/api/v1/users/${created.body.user.id}`)).body.passwordSet).toBe(true);

    const again = await t.request('POST', '/api/v1/auth/set-password', {
      auth: false,
      body: { token: link.token, password: 'a second password' },
    });
    expect(again.status).toBe(400);
    expect(again.body.fields).toEqual({ token: 'invalid, used or expired' });
  });

  it('issues a new set-password link that replaces the previous one and ends old sessions', async () => {
    const created = await t.request<CreatedUser>('POST', '/api/v1/users', {
      body: { email: 'reset@example.com', role: 'member', password: 'first password 1' },
    });
    expect(created.body.passwordLink).toBeNull();
    const session = await login('reset@example.com', 'first password 1', '198.51.100.3');
    const first = await t.request('POST', `/api/v1/users/${created.body.user.id}/password-link`);
    const second = await t.request('POST', `/api/v1/users/${created.body.user.id}/password-link`);
    expect(second.status).toBe(201);
    const use = (token: string) =>
      t.request('POST', '/api/v1/auth/set-password', { auth: false, body: { token, password: 'second password 2' } });
    expect((await use(first.body.token)).status).toBe(400);
    expect((await use(second.body.token)).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: session.body.token })).status).toBe(401);
    expect((await login('reset@example.com', 'second password 2', '198.51.100.3')).status).toBe(200);
  });

  it('answers bad user input with 400 or 409 naming the field', async () => {
    const cases: [unknown, number, string][] = [
      [{ email: 'not an email', role: 'member' }, 400, 'email'],
      [{ email: 'x@example.com', role: 'owner' }, 400, 'role'],
      [{ email: 'x@example.com', role: 'member', password: 'short' }, 400, 'password'],
      [{ email: 'MEMBER@example.com', role: 'member' }, 409, 'email'],
    ];
    for (const [body, status, field] of cases) {
      const res = await t.request('POST', '/api/v1/users', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(Object.keys(res.body.fields)).toContain(field);
    }
    expect((await t.request('PATCH', `/api/v1/users/${memberId}`, { body: {} })).status).toBe(400);
    expect((await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { active: 'no' } })).status).toBe(400);
    expect((await t.request('PATCH', '/api/v1/users/999999', { body: { role: 'admin' } })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/users/abc')).status).toBe(400);
    const badToken = await t.request('POST', '/api/v1/auth/set-password', {
      auth: false,
      body: { token: 'x', password: 'long enough password' },
    });
    expect(badToken.status).toBe(400);
    expect(Object.keys(badToken.body.fields)).toEqual(['token']);
  });

  it("lets an admin see and revoke another user's API keys, never the keys themselves", async () => {
    const session = await login(memberEmail, memberPassword, '198.51.100.4');
    const spare = await t.request<{ id: string; key: string }>('POST', '/api/v1/api-keys', {
      auth: session.body.token,
      body: { name: 'to revoke' },
    });
    const keys = await t.request<{ items: { id: string; name: string }[] }>(
      'GET',
      `/api/v1/users/${memberId}/api-keys`,
    );
    expect(keys.status).toBe(200);
    expect(keys.body.items.map((k) => k.name)).toEqual(['member script', 'to revoke']);
    expect(keys.text).not.toContain(spare.body.key);

    expect((await t.request('DELETE', `/api/v1/users/${memberId}/api-keys/${spare.body.id}`)).status).toBe(204);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: spare.body.key })).status).toBe(401);
    // A key is revoked only through the user it belongs to.
    expect((await t.request('DELETE', `/api/v1/users/1/api-keys/${spare.body.id}`)).status).toBe(404);
    expect((await t.request('GET', '/api/v1/users/999999/api-keys')).status).toBe(404);
  });

  it('applies a role change to existing keys and sessions at once', async () => {
    const promoted = await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { role: 'admin' } });
    expect(promoted.body).toMatchObject({ role: 'admin' });
    expect((await t.request('GET', '/api/v1/users', { auth: memberKey })).status).toBe(200);
    await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { role: 'member' } });
    expect((await t.request('GET', '/api/v1/users', { auth: memberKey })).status).toBe(403);
  });

  it("refuses a deactivated user's keys and sessions at once, and lets them back on reactivation", async () => {
    const session = await login(memberEmail, memberPassword, '198.51.100.5');
    expect((await t.request('GET', '/api/v1/auth/me', { auth: session.body.token })).status).toBe(200);

    const off = await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { active: false } });
    expect(off.body).toMatchObject({ active: false, deactivatedAt: expect.any(String) });
    expect((await t.request('GET', '/api/v1/contacts', { auth: memberKey })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/auth/me', { auth: session.body.token })).status).toBe(401);
    const refused = await login(memberEmail, memberPassword, '198.51.100.5');
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('deactivated');
    expect((await t.request('POST', `/api/v1/users/${memberId}/password-link`)).status).toBe(409);

    const on = await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { active: true } });
    expect(on.body).toMatchObject({ active: true, deactivatedAt: null });
    expect((await t.request('GET', '/api/v1/contacts', { auth: memberKey })).status).toBe(200);
    // Sessions ended for good; the user signs in again.
    expect((await t.request('GET', '/api/v1/auth/me', { auth: session.body.token })).status).toBe(401);
    expect((await login(memberEmail, memberPassword, '198.51.100.6')).status).toBe(200);
  });

  it('never demotes or deactivates the last active admin', async () => {
    const [admin] = (
      await t.request<{ items: { id: string; email: string }[] }>('GET', '/api/v1/users')
    ).body.items.filter((u) => u.email === t.adminEmail);
    for (const body of [{ role: 'member' }, { active: false }, { role: 'member', active: false }]) {
      const res = await t.request('PATCH', `/api/v1/users/${admin.id}`, { body });
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.message).toContain('last active admin');
    }
    // A deactivated admin does not count as the other admin.
    await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { role: 'admin', active: false } });
    expect((await t.request('PATCH', `/api/v1/users/${admin.id}`, { body: { role: 'member' } })).status).toBe(409);
    await t.request('PATCH', `/api/v1/users/${memberId}`, { body: { role: 'member', active: true } });
    expect((await t.request('GET', `/api/v1/users/${admin.id}`)).body).toMatchObject({ role: 'admin', active: true });
  });

  it('keeps one admin when two admins demote each other at the same moment', async () => {
    const second = await t.request<CreatedUser>('POST', '/api/v1/users', {
      body: { email: 'second-admin@example.com', role: 'admin', password: 'second admin password' },
    });
    const secondId = second.body.user.id;
    const secondSession = await login('second-admin@example.com', 'second admin password', '198.51.100.7');
    const { rows: admins } = await t.db.query(`SELECT id::text FROM users WHERE email = $1`, [t.adminEmail]);
    const firstId = admins[0].id as string;

    const lockWaiters = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
          [t.database.name],
        )
      ).rows[0].n as number;
    const until = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 200 && !(await done()); i += 1) await new Promise((r) => setTimeout(r, 50));
    };

    // Hold the second admin's row so that the first demotion waits mid-way, as if slow.
    const holder = await t.db.connect();
    let outcomes: number[];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [secondId]);
      const demoteSecond = t.request('PATCH', `/api/v1/users/${secondId}`, { body: { role: 'member' } });
      await until(async () => (await lockWaiters()) >= 1);
      let demoteFirstDone = false;
      const demoteFirst = t
        .request('PATCH', `/api/v1/users/${firstId}`, { auth: secondSession.body.token, body: { role: 'member' } })
        .finally(() => (demoteFirstDone = true));
      // Either the second demotion waits for the first (the set of admins is locked) or it went through.
      await until(async () => demoteFirstDone || (await lockWaiters()) >= 2);
      await holder.query('COMMIT');
      outcomes = (await Promise.all([demoteSecond, demoteFirst])).map((r) => r.status);
    } finally {
      holder.release();
    }
    expect(outcomes.filter((s) => s === 200)).toHaveLength(1);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND deactivated_at IS NULL`,
    );
    expect(rows[0].n).toBe(1);
  });
});
