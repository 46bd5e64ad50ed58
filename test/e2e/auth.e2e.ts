import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('serves the OpenAPI document and health without auth', async () => {
    const docs = await t.request<{ paths: Record<string, unknown> }>('GET', '/api/docs-json', { auth: false });
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toContain('/api/v1/auth/login');
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.body).toEqual({ status: 'ok', database: 'up', redis: 'up', workers: { live: 0 } });
  });
});
