import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Every endpoint in the OpenAPI document, fed hostile input: the answer is a
 * 4xx in the documented error shape, never a 5xx.
 */
const HOSTILE_BODIES: unknown[] = [
  [],
  'text',
  42,
  null,
  { '': 1 },
  { __proto__: { admin: true } },
  { constructor: { prototype: { polluted: true } } },
  { name: ['array'], email: { nested: 1 }, rules: 'all', contactIds: 'x', subject: 7, body: false },
  { name: 'x'.repeat(100_000) },
  { email: "a'; DROP TABLE contacts;--@example.com", status: 'root', attributes: { 'bad key': 1 } },
  { contactIds: ['1', '-1', '99999999999999999999', "1' OR 1=1"] },
  { rules: { all: [{ field: 'attributes.x; DROP TABLE contacts', op: 'eq', value: 1 }] } },
];
const HOSTILE_IDS = ['abc', '-1', '0', '99999999999999999999', "1'--", '%00', '1.5'];
const HOSTILE_QUERIES = [
  'limit=-1',
  'limit=abc',
  'limit=100000',
  'cursor=%%%',
  'cursor=aWQ6LTE',
  'status=root',
  'listId=abc',
];

describe('hostile input on every endpoint', () => {
  let t: TestApp;
  let operations: { method: string; path: string }[];

  beforeAll(async () => {
    t = await startTestApp();
    const doc = await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs-json', {
      auth: false,
    });
    operations = Object.entries(doc.body.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
    );
  });
  afterAll(async () => t.close());

  const expectClientError = (label: string, res: { status: number; body: unknown }) => {
    expect(res.status, label).toBeGreaterThanOrEqual(400);
    expect(res.status, label).toBeLessThan(500);
    expect(res.body, label).toMatchObject({ statusCode: res.status, message: expect.any(String) });
  };

  it('answers hostile JSON bodies with a 4xx', async () => {
    const withBody = operations.filter((o) => ['POST', 'PATCH'].includes(o.method) && !o.path.includes('/auth/'));
    expect(withBody.length).toBeGreaterThan(8);
    for (const { method, path } of withBody) {
      const url = path.replace(/\{[^}]+\}/g, '1');
      for (const body of HOSTILE_BODIES) {
        const res = await t.request(method, url, {
          raw: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        // Some bodies are acceptable somewhere (a preview with no data); what must never happen is a 5xx.
        if (res.status < 300) continue;
        expectClientError(`${method} ${url} ${JSON.stringify(body).slice(0, 80)}`, res);
      }
      const malformed = await t.request(method, url, {
        raw: '{"name":',
        headers: { 'content-type': 'application/json' },
      });
      expectClientError(`${method} ${url} malformed JSON`, malformed);
    }
  });

  it('answers hostile ids with a 4xx', async () => {
    const withId = operations.filter((o) => o.path.includes('{id}'));
    expect(withId.length).toBeGreaterThan(8);
    for (const { method, path } of withId) {
      for (const id of HOSTILE_IDS) {
        const url = path.replace('{id}', encodeURIComponent(id));
        const res = await t.request(method, url, ['POST', 'PATCH'].includes(method) ? { body: {} } : {});
        expectClientError(`${method} ${url}`, res);
      }
    }
  });

  it('answers hostile query strings on list endpoints with a 4xx', async () => {
    const lists = operations.filter(
      (o) => o.method === 'GET' && !o.path.includes('{') && o.path.startsWith('/api/v1/'),
    );
    for (const { path } of lists) {
      for (const query of HOSTILE_QUERIES) {
        const res = await t.request('GET', `${path}?${query}`);
        if (res.status < 300) continue; // a parameter this endpoint does not take may be ignored or refused
        expectClientError(`GET ${path}?${query}`, res);
      }
    }
  });
});
