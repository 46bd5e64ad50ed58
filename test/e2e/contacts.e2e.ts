import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

describe('contacts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    for (const field of [
      { name: 'plan', type: 'text' },
      { name: 'seats', type: 'number' },
      { name: 'vip', type: 'boolean' },
      { name: 'renewal', type: 'date' },
    ]) {
      expect((await t.request('POST', '/api/v1/fields', { body: field })).status).toBe(201);
    }
  });
  afterAll(async () => t.close());

  const create = (body: Record<string, unknown>) => t.request('POST', '/api/v1/contacts', { body });

  it('needs an API key or a session', async () => {
    for (const path of ['/api/v1/contacts', '/api/v1/contacts/1', '/api/v1/fields', '/api/v1/contacts/export.csv']) {
      const res = await t.request('GET', path, { auth: false });
      expect(res.status, path).toBe(401);
    }
    expect(
      (await t.request('POST', '/api/v1/contacts', { auth: false, body: { email: 'x@example.com' } })).status,
    ).toBe(401);
  });

  it('creates a contact with a trimmed, internationalised address and typed attributes', async () => {
    const res = await create({
      email: '  Jane.Doe@Bücher.DE ',
      firstName: 'Jane',
      lastName: 'Doe',
      attributes: { plan: 'pro', seats: '12', vip: 'yes', renewal: '2025-01-31' },
      consentSource: 'signup form',
      consentAt: '2024-05-01T12:00:00+02:00',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      email: 'Jane.Doe@bücher.de',
      firstName: 'Jane',
      lastName: 'Doe',
      status: 'subscribed',
      attributes: { plan: 'pro', seats: 12, vip: true, renewal: '2025-01-31T00:00:00.000Z' },
      consentSource: 'signup form',
      consentAt: '2024-05-01T10:00:00.000Z',
      listIds: [],
    });
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    const got = await t.request('GET', `/api/v1/contacts/${res.body.id}`);
    expect(got.body).toEqual(res.body);

    const punycode = await create({ email: 'JANE.DOE@xn--bcher-kva.de' });
    expect(punycode.status).toBe(409);
    expect(punycode.body.fields).toEqual({ email: expect.any(String) });
  });

  it('rejects bad bodies with 400 naming each field, and writes nothing', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM contacts');
    const cases: [Record<string, unknown>, string][] = [
      [{ email: 42 }, 'email'],
      [{ email: 'not-an-address' }, 'email'],
      [{ email: 'a@b' }, 'email'],
      [{ email: 'ok1@example.com', firstName: 5 }, 'firstName'],
      [{ email: 'ok1@example.com', firstName: 'x'.repeat(201) }, 'firstName'],
      [{ email: 'ok1@example.com', status: 'deleted' }, 'status'],
      [{ email: 'ok1@example.com', status: null }, 'status'],
      [{ email: 'ok1@example.com', nickname: 'J' }, 'nickname'],
      [{ email: 'ok1@example.com', attributes: 'pro' }, 'attributes'],
      [{ email: 'ok1@example.com', attributes: ['pro'] }, 'attributes'],
      [{ email: 'ok1@example.com', attributes: { nope: 1 } }, 'attributes.nope'],
      [{ email: 'ok1@example.com', attributes: { seats: 'many' } }, 'attributes.seats'],
      [{ email: 'ok1@example.com', attributes: { vip: 'perhaps' } }, 'attributes.vip'],
      [{ email: 'ok1@example.com', attributes: { renewal: '2024-02-30' } }, 'attributes.renewal'],
      [{ email: 'ok1@example.com', attributes: { plan: { nested: true } } }, 'attributes.plan'],
      [{ email: 'ok1@example.com', consentAt: 'yesterday' }, 'consentAt'],
      [{ email: 'ok1@example.com', consentAt: '0000-01-01T00:00:00Z' }, 'consentAt'],
      [{ email: 'ok1@example.com', listIds: ['abc'] }, 'listIds'],
      [{ email: 'ok1@example.com', listIds: ['999999'] }, 'listIds'],
      [{ email: 'ok1@example.com', listIds: '1' }, 'listIds'],
      // Postgres text and jsonb cannot hold NUL: a 400, not a database error.
      [{ email: 'ok1@example.com', firstName: 'a\u0000b' }, 'firstName'],
      [{ email: 'ok1@example.com', consentSource: '\u0000' }, 'consentSource'],
      [{ email: 'ok1@example.com', attributes: { plan: 'a\u0000b' } }, 'attributes.plan'],
    ];
    for (const [body, field] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.fields ?? {}), JSON.stringify(body)).toContain(field);
      expect(res.body.message).toEqual(expect.any(String));
    }
    const unknownAttr = await create({ email: 'ok1@example.com', attributes: { nope: 1 } });
    expect(unknownAttr.body.fields['attributes.nope']).toBe('unknown field; define it with POST /api/v1/fields');
    const after = await t.db.query('SELECT count(*)::int AS n FROM contacts');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('answers malformed JSON with 400, a 10 MB body with 413 and a huge field with 400', async () => {
    const malformed = await t.request('POST', '/api/v1/contacts', {
      raw: '{"email": "x@example.com",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/JSON/);

    const huge = await t.request('POST', '/api/v1/contacts', {
      body: { email: 'big@example.com', firstName: 'x'.repeat(10 * 1024 * 1024) },
    });
    expect(huge.status).toBe(413);

    const big = await create({ email: 'big@example.com', lastName: 'y'.repeat(500_000) });
    expect(big.status).toBe(400);
    expect(Object.keys(big.body.fields)).toEqual(['lastName']);
    const bigAttr = await create({ email: 'big@example.com', attributes: { plan: 'z'.repeat(500_000) } });
    expect(bigAttr.status).toBe(400);
    expect(Object.keys(bigAttr.body.fields)).toEqual(['attributes.plan']);
  });

  it('answers bad and unknown ids with 400 and 404', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const body = method === 'PATCH' ? { firstName: 'x' } : undefined;
      const bad = await t.request(method, '/api/v1/contacts/abc', { body });
      expect(bad.status, method).toBe(400);
      expect(bad.body.fields).toEqual({ id: expect.any(String) });
      expect((await t.request(method, '/api/v1/contacts/0', { body })).status, method).toBe(400);
      expect((await t.request(method, `/api/v1/contacts/${'9'.repeat(30)}`, { body })).status, method).toBe(400);
      expect((await t.request(method, '/api/v1/contacts/987654321', { body })).status, method).toBe(404);
    }
  });

  it('patches with merge semantics: null clears, attributes merge and null removes one', async () => {
    const { body: c } = await create({
      email: 'merge@example.com',
      firstName: 'Mia',
      lastName: 'Merge',
      attributes: { plan: 'basic', seats: 3 },
    });
    const res = await t.request('PATCH', `/api/v1/contacts/${c.id}`, {
      body: { lastName: null, attributes: { seats: null, vip: false }, email: 'Mia.Merge@Example.com' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      email: 'Mia.Merge@example.com',
      firstName: 'Mia',
      lastName: null,
      attributes: { plan: 'basic', vip: false },
    });
    expect(res.body.attributes).not.toHaveProperty('seats');
    expect(res.body.updatedAt >= c.updatedAt).toBe(true);

    const bad = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { attributes: { seats: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('attributes.seats');
    const nullEmail = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { email: null } });
    expect(nullEmail.status).toBe(400);
    expect(nullEmail.body.fields).toHaveProperty('email');
    const unknown = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { id: '5' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toHaveProperty('id');

    await create({ email: 'taken@example.com' });
    const dup = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { email: 'TAKEN@example.com' } });
    expect(dup.status).toBe(409);
    expect(dup.body.fields).toEqual({ email: expect.any(String) });
    expect((await t.request('GET', `/api/v1/contacts/${c.id}`)).body.email).toBe('Mia.Merge@example.com');
  });

  describe('listing', () => {
    const ids: string[] = [];
    let listId: string;
    beforeAll(async () => {
      listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'Page test' } })).body.id;
      for (let i = 0; i < 23; i += 1) {
        const res = await create({
          email: `pager${String(i).padStart(2, '0')}@paging.example`,
          firstName: i % 2 === 0 ? 'Even' : 'Odd',
          lastName: i === 7 ? 'Special_100%' : 'Pager',
          status: i % 5 === 0 ? 'unsubscribed' : 'subscribed',
          listIds: i < 6 ? [listId] : [],
        });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
    });

    it('walks every page without duplicates or gaps', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const qs: string = `?q=paging.example&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await t.request('GET', `/api/v1/contacts${qs}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(5);
        seen.push(...res.body.items.map((c: { id: string }) => c.id));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen).toEqual(ids);
      const all = await t.request('GET', '/api/v1/contacts?limit=500');
      const count = await t.db.query('SELECT count(*)::int AS n FROM contacts');
      expect(all.body.items).toHaveLength(count.rows[0].n);
      expect(all.body.nextCursor).toBeNull();
    });

    it('searches email and names case-insensitively, with % and _ taken literally', async () => {
      const byName = await t.request('GET', '/api/v1/contacts?q=eVeN&limit=100');
      expect(byName.body.items).toHaveLength(12);
      expect(byName.body.items.every((c: { firstName: string }) => c.firstName === 'Even')).toBe(true);
      const byEmail = await t.request('GET', '/api/v1/contacts?q=PAGER07@');
      expect(byEmail.body.items.map((c: { id: string }) => c.id)).toEqual([ids[7]]);
      const literal = await t.request('GET', `/api/v1/contacts?q=${encodeURIComponent('_100%')}`);
      expect(literal.body.items.map((c: { id: string }) => c.id)).toEqual([ids[7]]);
      const wildcard = await t.request('GET', `/api/v1/contacts?q=${encodeURIComponent('%')}`);
      expect(wildcard.body.items.map((c: { id: string }) => c.id)).toEqual([ids[7]]);
      expect((await t.request('GET', '/api/v1/contacts?q=nobody-at-all')).body).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it('filters by status and list, combined with search and paging', async () => {
      const unsub = await t.request('GET', '/api/v1/contacts?status=unsubscribed&q=paging&limit=100');
      expect(unsub.body.items.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[5], ids[10], ids[15], ids[20]]);
      const members = await t.request('GET', `/api/v1/contacts?listId=${listId}&limit=4`);
      expect(members.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 4));
      expect(members.body.items[0].listIds).toEqual([listId]);
      const next = await t.request(
        'GET',
        `/api/v1/contacts?listId=${listId}&limit=4&cursor=${members.body.nextCursor}`,
      );
      expect(next.body).toEqual({ items: expect.any(Array), nextCursor: null });
      expect(next.body.items.map((c: { id: string }) => c.id)).toEqual(ids.slice(4, 6));
      const both = await t.request('GET', `/api/v1/contacts?listId=${listId}&status=unsubscribed`);
      expect(both.body.items.map((c: { id: string }) => c.id)).toEqual([ids[0], ids[5]]);
    });

    it('rejects bad query parameters with 400 naming them', async () => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=501', 'limit'],
        ['limit=abc', 'limit'],
        ['cursor=garbage', 'cursor'],
        ['status=gone', 'status'],
        ['listId=abc', 'listId'],
        ['sort=email', 'sort'],
        [`q=${'x'.repeat(201)}`, 'q'],
        ['q=a%00b', 'q'],
      ];
      for (const [qs, field] of cases) {
        const res = await t.request('GET', `/api/v1/contacts?${qs}`);
        expect(res.status, qs).toBe(400);
        expect(Object.keys(res.body.fields ?? {}), qs).toContain(field);
      }
      expect((await t.request('GET', '/api/v1/contacts?listId=99999')).status).toBe(404);
    });
  });

  it('routes contacts/export.csv to the export, not to contacts/:id', async () => {
    const res = await t.request('GET', '/api/v1/contacts/export.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  });

  it('documents every endpoint in the OpenAPI document', async () => {
    const docs = await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs-json', {
      auth: false,
    });
    const paths = docs.body.paths;
    expect(Object.keys(paths['/api/v1/contacts'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(paths['/api/v1/contacts/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(Object.keys(paths['/api/v1/lists/{id}/contacts'])).toEqual(expect.arrayContaining(['post', 'delete']));
    expect(paths).toHaveProperty('/api/v1/contacts/export.csv');
    expect(paths).toHaveProperty('/api/v1/fields/{id}');
    expect(paths).toHaveProperty('/api/v1/suppressions/{id}');
  });

  describe('fields', () => {
    it('lists, rejects bad or reserved names and duplicates, and deletes with the stored values', async () => {
      const list = await t.request('GET', '/api/v1/fields');
      expect(list.body.items.map((f: { name: string }) => f.name)).toEqual(['plan', 'seats', 'vip', 'renewal']);
      const bad: [Record<string, unknown>, string][] = [
        [{ name: 'Bad Name', type: 'text' }, 'name'],
        [{ name: '1abc', type: 'text' }, 'name'],
        [{ name: 'ok', type: 'json' }, 'type'],
        [{ name: 'email', type: 'text' }, 'name'],
        [{ name: 'ok', type: 'text', label: 7 }, 'label'],
        [{ name: 'ok', type: 'text', extra: 1 }, 'extra'],
        [{ name: 'ok', type: 'text', label: 'a\u0000b' }, 'label'],
      ];
      for (const [body, field] of bad) {
        const res = await t.request('POST', '/api/v1/fields', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(Object.keys(res.body.fields)).toContain(field);
      }
      const dup = await t.request('POST', '/api/v1/fields', { body: { name: 'plan', type: 'number' } });
      expect(dup.status).toBe(409);
      expect(dup.body.fields).toEqual({ name: 'already exists' });

      const field = await t.request('POST', '/api/v1/fields', {
        body: { name: 'color', type: 'text', label: 'Colour' },
      });
      expect(field.body).toMatchObject({ name: 'color', type: 'text', label: 'Colour' });
      const c = await create({ email: 'color@example.com', attributes: { color: 'red', plan: 'x' } });
      expect((await t.request('DELETE', `/api/v1/fields/${field.body.id}`)).status).toBe(204);
      expect((await t.request('GET', `/api/v1/contacts/${c.body.id}`)).body.attributes).toEqual({ plan: 'x' });
      expect((await t.request('DELETE', `/api/v1/fields/${field.body.id}`)).status).toBe(404);
      expect((await t.request('DELETE', '/api/v1/fields/x')).status).toBe(400);
      const again = await create({ email: 'color2@example.com', attributes: { color: 'blue' } });
      expect(again.status).toBe(400);

      for (let i = 0; i < 6; i += 1) {
        await t.request('POST', '/api/v1/fields', { body: { name: `extra_${i}`, type: 'text' } });
      }
      const names: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { name: string }[]; nextCursor: string | null } } = await t.request(
          'GET',
          `/api/v1/fields?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        names.push(...res.body.items.map((f) => f.name));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(names).toEqual(['plan', 'seats', 'vip', 'renewal', ...Array.from({ length: 6 }, (_, i) => `extra_${i}`)]);
    });
  });
});
