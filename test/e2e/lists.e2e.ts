import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

describe('lists', () => {
  let t: TestApp;
  const contactIds: string[] = [];
  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < 5; i += 1) {
      contactIds.push(
        (await t.request('POST', '/api/v1/contacts', { body: { email: `m${i}@lists.example` } })).body.id,
      );
    }
  });
  afterAll(async () => t.close());

  it('needs auth', async () => {
    expect((await t.request('GET', '/api/v1/lists', { auth: false })).status).toBe(401);
    expect(
      (await t.request('POST', '/api/v1/lists/1/contacts', { auth: false, body: { contactIds: ['1'] } })).status,
    ).toBe(401);
  });

  it('creates, reads, renames and deletes a list', async () => {
    const created = await t.request('POST', '/api/v1/lists', { body: { name: 'Newsletter', description: 'Monthly' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Newsletter', description: 'Monthly', memberCount: 0 });
    const id = created.body.id;
    expect((await t.request('GET', `/api/v1/lists/${id}`)).body).toEqual(created.body);
    const renamed = await t.request('PATCH', `/api/v1/lists/${id}`, { body: { name: 'Weekly', description: null } });
    expect(renamed.body).toMatchObject({ id, name: 'Weekly', description: null });
    expect((await t.request('DELETE', `/api/v1/lists/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/lists/${id}`)).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/lists/${id}`, { body: { name: 'x' } })).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/lists/${id}`)).status).toBe(404);
  });

  it('rejects bad list input with 400 naming the field', async () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/api/v1/lists', {}, 'name'],
      ['POST', '/api/v1/lists', { name: '' }, 'name'],
      ['POST', '/api/v1/lists', { name: 'x'.repeat(201) }, 'name'],
      ['POST', '/api/v1/lists', { name: 7 }, 'name'],
      ['POST', '/api/v1/lists', { name: 'ok', owner: 'me' }, 'owner'],
      ['POST', '/api/v1/lists', { name: 'ok', description: ['x'] }, 'description'],
      ['POST', '/api/v1/lists', { name: 'a\u0000b' }, 'name'],
      ['POST', '/api/v1/lists', { name: 'ok', description: '\u0000' }, 'description'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await t.request(method, path, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.fields), JSON.stringify(body)).toContain(field);
    }
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Valid' } })).body;
    const nullName = await t.request('PATCH', `/api/v1/lists/${list.id}`, { body: { name: null } });
    expect(nullName.status).toBe(400);
    expect(nullName.body.fields).toHaveProperty('name');
    expect((await t.request('GET', '/api/v1/lists/abc')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/lists?limit=-1')).status).toBe(400);
  });

  it('adds members idempotently and counts them', async () => {
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Members' } })).body;
    const add = await t.request('POST', `/api/v1/lists/${list.id}/contacts`, {
      body: { contactIds: [contactIds[0], contactIds[1], contactIds[1], contactIds[2]] },
    });
    expect(add.status).toBe(200);
    expect(add.body).toEqual({ added: 3 });
    const again = await t.request('POST', `/api/v1/lists/${list.id}/contacts`, {
      body: { contactIds: [contactIds[0], contactIds[3]] },
    });
    expect(again.body).toEqual({ added: 1 });
    expect((await t.request('GET', `/api/v1/lists/${list.id}`)).body.memberCount).toBe(4);
    expect((await t.request('GET', `/api/v1/contacts/${contactIds[0]}`)).body.listIds).toEqual([list.id]);

    const removed = await t.request('DELETE', `/api/v1/lists/${list.id}/contacts`, {
      body: { contactIds: [contactIds[0], contactIds[4]] },
    });
    expect(removed.body).toEqual({ removed: 1 });
    expect((await t.request('GET', `/api/v1/lists/${list.id}`)).body.memberCount).toBe(3);

    // Deleting the list drops memberships, not contacts.
    expect((await t.request('DELETE', `/api/v1/lists/${list.id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/contacts/${contactIds[1]}`)).body).toMatchObject({ listIds: [] });
  });

  it('adds nothing and names the ids when any contact is unknown', async () => {
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Strict' } })).body;
    const res = await t.request('POST', `/api/v1/lists/${list.id}/contacts`, {
      body: { contactIds: [contactIds[0], '888888', '777777'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.fields.contactIds).toBe('no contact with id 777777, 888888');
    expect((await t.request('GET', `/api/v1/lists/${list.id}`)).body.memberCount).toBe(0);
  });

  it('validates membership bodies and ids', async () => {
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Validation' } })).body;
    const path = `/api/v1/lists/${list.id}/contacts`;
    const bodies: unknown[] = [
      {},
      { contactIds: [] },
      { contactIds: 'abc' },
      { contactIds: [1] },
      { contactIds: ['x1'] },
      { contactIds: ['0'] },
      { contactIds: Array.from({ length: 10_001 }, (_, i) => String(i + 1)) },
    ];
    for (const body of bodies) {
      for (const method of ['POST', 'DELETE']) {
        const res = await t.request(method, path, { body });
        expect(res.status, `${method} ${JSON.stringify(body).slice(0, 60)}`).toBe(400);
        expect(Object.keys(res.body.fields)).toEqual(['contactIds']);
      }
    }
    expect((await t.request('POST', '/api/v1/lists/999999/contacts', { body: { contactIds: ['1'] } })).status).toBe(
      404,
    );
    expect((await t.request('POST', '/api/v1/lists/nope/contacts', { body: { contactIds: ['1'] } })).status).toBe(400);
  });

  it('adds 10 000 ids in one request', async () => {
    await t.db.query(
      `INSERT INTO contacts (email) SELECT 'bulk' || g || '@bulk.example' FROM generate_series(1, 10000) g`,
    );
    const ids = (
      await t.db.query(`SELECT id::text FROM contacts WHERE email LIKE '%@bulk.example' ORDER BY contacts.id`)
    ).rows.map((r) => r.id as string);
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Bulk' } })).body;
    const res = await t.request('POST', `/api/v1/lists/${list.id}/contacts`, { body: { contactIds: ids } });
    expect(res.body).toEqual({ added: 10_000 });
    expect((await t.request('GET', `/api/v1/lists/${list.id}`)).body.memberCount).toBe(10_000);
  });

  it('pages through lists', async () => {
    const all = (await t.db.query('SELECT id::text FROM lists ORDER BY lists.id')).rows.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/v1/lists?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.items.map((l) => l.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect(all.length).toBeGreaterThan(2);
  });
});
