import { type ContactFilter, SegmentFilters } from '@herald/contacts';
import { SegmentsService } from '@herald/segments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/** Contacts used by every test here: 12 in Germany (ids in order), 3 in France. */
async function seed(t: TestApp): Promise<{ newsletter: string; customers: string }> {
  await t.db.query(`INSERT INTO fields (name, type) VALUES ('country', 'text'), ('score', 'number')`);
  await t.db.query(`
    INSERT INTO contacts (email, first_name, last_name, status, attributes)
    SELECT 'de' || i || '@example.com', 'First' || i, 'Last' || i,
           CASE WHEN i = 1 THEN 'unsubscribed' ELSE 'subscribed' END,
           jsonb_build_object('country', 'DE', 'score', i)
    FROM generate_series(1, 12) i`);
  await t.db.query(`
    INSERT INTO contacts (email, attributes)
    SELECT 'fr' || i || '@example.fr', jsonb_build_object('country', 'FR', 'score', i * 10)
    FROM generate_series(1, 3) i`);
  const ids = await t.db.query<{ id: string }>(
    `INSERT INTO lists (name) VALUES ('newsletter'), ('customers') RETURNING id::text`,
  );
  const [newsletter, customers] = ids.rows.map((r) => r.id);
  await t.db.query(
    `INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM contacts WHERE email LIKE '%.fr' OR email = 'de2@example.com'`,
    [newsletter],
  );
  await t.db.query(
    `INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM contacts WHERE email LIKE 'fr1@%'`,
    [customers],
  );
  return { newsletter, customers };
}

const germany = { all: [{ field: 'attributes.country', op: 'eq', value: 'DE' }] };

describe('segments API', () => {
  let t: TestApp;
  let lists: { newsletter: string; customers: string };
  beforeAll(async () => {
    t = await startTestApp();
    lists = await seed(t);
  });
  afterAll(async () => t.close());

  it('needs credentials', async () => {
    expect((await t.request('GET', '/api/v1/segments', { auth: false })).status).toBe(401);
    expect(
      (await t.request('POST', '/api/v1/segments/preview', { auth: false, body: { rules: germany } })).status,
    ).toBe(401);
  });

  it('documents every segment route in the OpenAPI document', async () => {
    const doc = await t.request<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/docs-json');
    expect(Object.keys(doc.body.paths['/api/v1/segments']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.body.paths['/api/v1/segments/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    const create = doc.body.paths['/api/v1/segments'].post as { responses: Record<string, unknown> };
    // One success answer: 201, not also Nest's default 200.
    expect(Object.keys(create.responses).filter((status) => status.startsWith('2'))).toEqual(['201']);
    expect(doc.body.paths['/api/v1/segments/preview']).toHaveProperty('post');
  });

  it('previews a count and the first ten matches by id', async () => {
    const res = await t.request('POST', '/api/v1/segments/preview', { body: { rules: germany } });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(12);
    expect(res.body.sample).toHaveLength(10);
    expect(res.body.sample[0]).toEqual({
      id: expect.any(String),
      email: 'de1@example.com',
      firstName: 'First1',
      lastName: 'Last1',
      status: 'unsubscribed',
    });
    expect(res.body.sample.map((c: { email: string }) => c.email)).not.toContain('de11@example.com');
  });

  it('keeps nested groups of the body intact', async () => {
    const rules = {
      any: [
        {
          all: [
            { field: 'attributes.country', op: 'eq', value: 'FR' },
            { field: 'attributes.score', op: 'gte', value: 20 },
          ],
        },
        { none: [{ field: 'lists', op: 'inNone', value: [lists.newsletter] }] },
      ],
    };
    const res = await t.request('POST', '/api/v1/segments/preview', { body: { rules } });
    expect(res.status).toBe(200);
    expect(res.body.sample.map((c: { email: string }) => c.email).sort()).toEqual([
      'de2@example.com',
      'fr1@example.fr',
      'fr2@example.fr',
      'fr3@example.fr',
    ]);
  });

  it('answers a bad rule with 400 naming its path', async () => {
    const res = await t.request('POST', '/api/v1/segments/preview', {
      body: {
        rules: {
          all: [
            { field: 'email', op: 'endsWith', value: '@example.com' },
            { field: 'status', op: 'eq', value: 'subscribed' },
            { any: [{ field: 'attributes.score', op: 'contains', value: '1' }] },
          ],
        },
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ 'rules.all[2].any[0].op': expect.stringMatching(/does not apply/) });
    expect(res.body.message).toContain('rules.all[2].any[0].op');
  });

  it('rejects injection through field names, ops and list ids; values stay values', async () => {
    const attempts: [unknown, string][] = [
      [{ field: "attributes.country'; DROP TABLE contacts;--", op: 'eq', value: 'x' }, 'rules.all[0].field'],
      [{ field: 'email', op: "= '' OR 1=1 --", value: 'x' }, 'rules.all[0].op'],
      [{ field: 'lists', op: 'inAny', value: ['1); DROP TABLE contacts;--'] }, 'rules.all[0].value[0]'],
    ];
    for (const [condition, path] of attempts) {
      const res = await t.request('POST', '/api/v1/segments/preview', { body: { rules: { all: [condition] } } });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.fields)).toEqual([path]);
    }
    const value = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { any: [{ field: 'attributes.country', op: 'eq', value: "DE' OR '1'='1" }] } },
    });
    expect(value.body).toEqual({ count: 0, sample: [] });
    expect((await t.db.query('SELECT count(*)::int AS n FROM contacts')).rows[0].n).toBe(15);
  });

  it('rejects unknown lists, undefined fields and engagement rules at their path', async () => {
    const unknownList = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { all: [{ field: 'lists', op: 'inAny', value: [lists.newsletter, '999999'] }] } },
    });
    expect(unknownList.status).toBe(400);
    expect(unknownList.body.fields).toEqual({ 'rules.all[0].value': 'list 999999 does not exist' });

    const undefinedField = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { none: [{ field: 'attributes.plan', op: 'eq', value: 'pro' }] } },
    });
    expect(undefinedField.status).toBe(400);
    expect(undefinedField.body.fields['rules.none[0].field']).toMatch(/no custom field named "plan"/);

    const engagement = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { all: [{ field: 'engagement', op: 'notOpened', value: { campaignId: 'four' } }] } },
    });
    expect(engagement.status).toBe(400);
    expect(engagement.body.fields['rules.all[0].value.campaignId']).toMatch(/campaign id/);
  });

  it('answers a missing or malformed body with 400 on `rules`', async () => {
    for (const body of [{}, { rules: 'all' }, { rules: [] }, { rules: germany, extra: 1 }]) {
      const res = await t.request('POST', '/api/v1/segments/preview', { body });
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.fields).length).toBeGreaterThan(0);
    }
  });

  it('creates, reads with a live count, lists, updates and deletes a segment', async () => {
    const created = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Germany', description: 'All German contacts', rules: germany },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Germany', description: 'All German contacts', rules: germany });
    const id: string = created.body.id;

    const read = await t.request('GET', `/api/v1/segments/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, count: 12, countError: null });

    await t.db.query(
      `UPDATE contacts SET attributes = attributes || '{"country":"FR"}' WHERE email = 'de12@example.com'`,
    );
    expect((await t.request('GET', `/api/v1/segments/${id}`)).body.count).toBe(11);

    const second = await t.request('POST', '/api/v1/segments', { body: { name: 'France', rules: { any: [] } } });
    const page1 = await t.request('GET', '/api/v1/segments?limit=1');
    expect(page1.body.items.map((s: { id: string }) => s.id)).toEqual([id]);
    const page2 = await t.request('GET', `/api/v1/segments?limit=1&cursor=${page1.body.nextCursor}`);
    expect(page2.body).toMatchObject({ items: [{ id: second.body.id, name: 'France' }] });

    const france = { all: [{ field: 'attributes.country', op: 'eq', value: 'FR' }] };
    const patched = await t.request('PATCH', `/api/v1/segments/${id}`, {
      body: { name: 'France too', description: null, rules: france },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'France too', description: null, rules: france });
    expect((await t.request('GET', `/api/v1/segments/${id}`)).body.count).toBe(4);

    expect((await t.request('DELETE', `/api/v1/segments/${id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/segments/${id}`)).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/segments/${id}`)).status).toBe(404);
    expect((await t.request('PATCH', `/api/v1/segments/${id}`, { body: { name: 'x' } })).status).toBe(404);
  });

  it('validates segments on create and update, writing nothing when invalid', async () => {
    const before = (await t.db.query('SELECT count(*)::int AS n FROM segments')).rows[0].n;
    const bad = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Bad', rules: { all: [{ field: 'attributes.score', op: 'gt', value: 'ten' }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ 'rules.all[0].value': expect.stringMatching(/number/) });
    const noName = await t.request('POST', '/api/v1/segments', { body: { rules: germany } });
    expect(noName.status).toBe(400);
    expect(noName.body.fields).toHaveProperty('name');
    expect((await t.db.query('SELECT count(*)::int AS n FROM segments')).rows[0].n).toBe(before);

    const ok = await t.request('POST', '/api/v1/segments', { body: { name: 'Ok', rules: germany } });
    const badPatch = await t.request('PATCH', `/api/v1/segments/${ok.body.id}`, {
      body: { rules: { all: [{ field: 'status', op: 'eq', value: 'gone' }] } },
    });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body.fields).toHaveProperty(['rules.all[0].value']);
    expect((await t.request('GET', `/api/v1/segments/${ok.body.id}`)).body.rules).toEqual(germany);
    const nullRules = await t.request('PATCH', `/api/v1/segments/${ok.body.id}`, { body: { rules: null } });
    expect(nullRules.status).toBe(400);
    expect(nullRules.body.fields).toHaveProperty(['rules']);
    expect((await t.request('GET', '/api/v1/segments/abc')).status).toBe(400);
  });

  it('registers with the contacts lib as its segment filter source, numbering parameters from firstParam', async () => {
    const rules = {
      all: [
        { field: 'attributes.country', op: 'eq', value: 'FR' },
        { field: 'lists', op: 'inAny', value: [lists.newsletter] },
      ],
    };
    const created = await t.request('POST', '/api/v1/segments', { body: { name: 'Resolver', rules } });
    const resolver = t.app.get(SegmentFilters).current;
    expect(resolver).toBeInstanceOf(SegmentsService);
    const filter: ContactFilter = await resolver!.contactFilter(created.body.id, 3);
    expect(filter.sql).toContain('$3');
    const { rows } = await t.db.query<{ email: string }>(
      `SELECT email FROM contacts c WHERE c.email <> $1 AND c.status = $2 AND ${filter.sql} ORDER BY email`,
      ['fr2@example.fr', 'subscribed', ...filter.params],
    );
    expect(rows.map((r) => r.email)).toEqual(['fr1@example.fr', 'fr3@example.fr']);
    await expect(resolver!.contactFilter('999999', 1)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(resolver!.contactFilter('nope', 1)).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('filters the contacts CSV export by segment', async () => {
    const created = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Export', rules: { all: [{ field: 'attributes.score', op: 'between', value: [10, 20] }] } },
    });
    const res = await t.request('GET', `/api/v1/contacts/export.csv?segmentId=${created.body.id}`);
    expect(res.status).toBe(200);
    const emails = res.text
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(',')[0])
      .sort();
    expect(emails).toEqual([
      'de10@example.com',
      'de11@example.com',
      'de12@example.com',
      'fr1@example.fr',
      'fr2@example.fr',
    ]);
    expect((await t.request('GET', '/api/v1/contacts/export.csv?segmentId=999999')).status).toBe(404);
  });

  it('builds campaign audiences from a segment, lists, or both', async () => {
    const service = t.app.get(SegmentsService);
    const created = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Score', rules: { all: [{ field: 'attributes.score', op: 'gte', value: 2 }] } },
    });
    const emails = async (filter: ContactFilter) =>
      (
        await t.db.query<{ email: string }>(
          `SELECT email FROM contacts c WHERE ${filter.sql} ORDER BY email`,
          filter.params,
        )
      ).rows.map((r) => r.email);
    expect(await emails(await service.audienceFilter({ listIds: [lists.customers] }))).toEqual(['fr1@example.fr']);
    expect(
      await emails(await service.audienceFilter({ segmentId: created.body.id, listIds: [lists.newsletter] })),
    ).toEqual(['de2@example.com', 'fr1@example.fr', 'fr2@example.fr', 'fr3@example.fr']);
    expect((await emails(await service.audienceFilter({ segmentId: created.body.id }))).length).toBe(14);
    await expect(service.audienceFilter({})).rejects.toMatchObject({ kind: 'invalid' });
    await expect(service.audienceFilter({ listIds: ['999999'] })).rejects.toMatchObject({
      kind: 'invalid',
      fields: { listIds: 'list 999999 does not exist' },
    });
  });

  it('reports a segment whose field was deleted as stale, not as a server error', async () => {
    await t.db.query(`INSERT INTO fields (name, type) VALUES ('tier', 'text')`);
    const created = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Tier', rules: { all: [{ field: 'attributes.tier', op: 'eq', value: 'gold' }] } },
    });
    expect(created.status).toBe(201);
    await t.db.query(`DELETE FROM fields WHERE name = 'tier'`);
    const read = await t.request('GET', `/api/v1/segments/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ count: null, countError: expect.stringMatching(/no longer exists/) });
    await expect(t.app.get(SegmentsService).contactFilter(created.body.id, 1)).rejects.toMatchObject({
      kind: 'conflict',
      fields: { 'rules.all[0].field': expect.stringMatching(/tier/) },
    });
  });
});

describe('segment counts under a statement timeout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_SEGMENT_TIMEOUT_MS: '1' } });
    await t.db.query(`INSERT INTO fields (name, type) VALUES ('city', 'text')`);
    await t.db.query(`
      INSERT INTO contacts (email, attributes)
      SELECT 'c' || i || '@example.com', jsonb_build_object('city', 'City ' || i) FROM generate_series(1, 200000) i`);
  });
  afterAll(async () => t.close());

  it('stops a slow count with 422 instead of holding the API', async () => {
    const res = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { all: [{ field: 'attributes.city', op: 'contains', value: 'zz' }] } },
    });
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/took longer than 1 ms/);
  });
});

describe('segment list pagination', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('walks every segment once in id order, past ids of two digits', async () => {
    const created: string[] = [];
    for (let i = 0; i < 13; i += 1) {
      const res = await t.request('POST', '/api/v1/segments', { body: { name: `S${i}`, rules: { all: [] } } });
      created.push(res.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/v1/segments?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(created);
  });
});
