import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Cross-site request forgery: what a page on another site can make a signed-in
 * marketer's browser send. Browsers attach the session cookie (SameSite=Lax
 * still allows it from a same-site page, and from any top-level navigation
 * in older browsers) and an Origin or Sec-Fetch-Site header they do not let
 * the page choose.
 */
describe('cross-site requests', () => {
  let t: TestApp;
  let cookie: string;
  const evil = 'https://evil.example';

  beforeAll(async () => {
    t = await startTestApp();
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      headers: { origin: t.url },
      body: { email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  });
  afterAll(async () => t.close());

  const count = async (table: string) => (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
  const asBrowser = (headers: Record<string, string>) => ({ auth: false as const, headers: { cookie, ...headers } });

  it('refuses cookie-authenticated writes from another site with 403 saying why, and changes nothing', async () => {
    const keys = await count('api_keys');
    const suppressions = await count('suppressions');
    const imports = await count('imports');
    const attempts = [
      ['POST', '/api/v1/api-keys', { body: { name: 'stolen' }, ...asBrowser({ origin: evil }) }],
      ['POST', '/api/v1/suppressions', { body: { email: 'ceo@example.com' }, ...asBrowser({ origin: evil }) }],
      // A form post: no Origin in some browsers, but Sec-Fetch-Site in all current ones.
      [
        'POST',
        '/api/v1/suppressions',
        {
          raw: 'email=ceo%40example.com',
          ...asBrowser({ 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' }),
        },
      ],
      ['POST', '/api/v1/imports', { raw: importForm(), ...asBrowser({ origin: evil }) }],
      ['DELETE', '/api/v1/api-keys/1', asBrowser({ origin: 'null' })],
      ['PATCH', '/api/v1/lists/1', { body: { name: 'x' }, ...asBrowser({ 'sec-fetch-site': 'same-site' }) }],
    ] as const;
    for (const [method, path, options] of attempts) {
      const res = await t.request(method, path, options);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.message, `${method} ${path}`).toMatch(/^Refused a cross-site request: .*API key/);
    }
    expect([await count('api_keys'), await count('suppressions'), await count('imports')]).toEqual([
      keys,
      suppressions,
      imports,
    ]);
  });

  it('refuses a cookie that comes with neither Origin nor Sec-Fetch-Site', async () => {
    const res = await t.request('POST', '/api/v1/api-keys', { body: { name: 'x' }, ...asBrowser({}) });
    expect(res.status).toBe(403);
    expect(res.body.message).toMatch(/neither Origin nor Sec-Fetch-Site/);
  });

  it("accepts the same requests from Herald's own pages", async () => {
    const own = await t.request('POST', '/api/v1/api-keys', { body: { name: 'own' }, ...asBrowser({ origin: t.url }) });
    expect(own.status).toBe(201);
    // PUBLIC_URL's origin, as behind a proxy that rewrites Host.
    const viaPublicUrl = await t.request('POST', '/api/v1/suppressions', {
      body: { email: 'bounced@example.com' },
      ...asBrowser({ origin: new URL(t.config.PUBLIC_URL).origin }),
    });
    expect(viaPublicUrl.status).toBe(201);
    const fetchSite = await t.request('POST', '/api/v1/lists', {
      body: { name: 'Newsletter' },
      ...asBrowser({ 'sec-fetch-site': 'same-origin' }),
    });
    expect(fetchSite.status).toBe(201);
    expect((await t.request('GET', '/api/v1/api-keys', asBrowser({ origin: evil }))).status).toBe(200);
  });

  it('accepts an API key from anywhere: a browser never sends one across sites unasked', async () => {
    const res = await t.request('POST', '/api/v1/api-keys', { body: { name: 'ci' }, headers: { origin: evil } });
    expect(res.status).toBe(201);
  });

  it('refuses sign-in from another site, and allows it from scripts and from its own pages', async () => {
    const body = { email: t.adminEmail, password: t.adminPassword };
    const foreign = await t.request('POST', '/api/v1/auth/login', { auth: false, body, headers: { origin: evil } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    expect((await t.request('POST', '/api/v1/auth/login', { auth: false, body })).status).toBe(200);
  });

  it('answers non-JSON bodies to JSON routes with 415, even with an API key', async () => {
    const cases: [string, string, string][] = [
      ['/api/v1/api-keys', 'application/x-www-form-urlencoded', 'name=form'],
      ['/api/v1/lists', 'text/plain', '{"name":"looks like JSON"}'],
      ['/api/v1/suppressions', 'multipart/form-data; boundary=x', '--x\r\n'],
      ['/api/v1/auth/login', 'application/x-www-form-urlencoded', 'email=a%40example.com&password=x'],
    ];
    for (const [path, type, raw] of cases) {
      const res = await t.request('POST', path, { raw, headers: { 'content-type': type } });
      expect(res.status, `${path} ${type}`).toBe(415);
      expect(res.body).toMatchObject({ statusCode: 415, fields: { 'content-type': 'must be application/json' } });
    }
    const form = importForm();
    const upload = await t.request('POST', '/api/v1/imports', { raw: form });
    expect(upload.status).toBe(202);
  });
});

function importForm(): FormData {
  const form = new FormData();
  form.append('file', new Blob(['email\nforged@example.com\n'], { type: 'text/csv' }), 'c.csv');
  form.append('mode', 'upsert');
  return form;
}
