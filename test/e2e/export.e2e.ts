import http from 'node:http';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../libs/common/src/index.js';
import {
  ExportService,
  FieldsService,
  ListsService,
  SegmentFilters,
  type SegmentFilterSource,
} from '../../libs/contacts/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

const HEADER = [
  'email',
  'first_name',
  'last_name',
  'status',
  'consent_source',
  'consent_at',
  'created_at',
  'updated_at',
  'plan',
  'seats',
  'vip',
  'renewal',
];

describe('CSV export', () => {
  let t: TestApp;
  let listId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    for (const field of [
      { name: 'plan', type: 'text' },
      { name: 'seats', type: 'number' },
      { name: 'vip', type: 'boolean' },
      { name: 'renewal', type: 'date' },
    ]) {
      await t.request('POST', '/api/v1/fields', { body: field });
    }
    listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'Export' } })).body.id;
    const contacts = [
      {
        email: 'plain@example.com',
        firstName: 'Plain',
        lastName: 'Person, "Quoted"\nMultiline',
        attributes: { plan: 'pro', seats: -5, vip: true, renewal: '2025-01-31' },
        consentSource: 'form',
        consentAt: '2024-05-01T12:00:00+02:00',
        listIds: [listId],
      },
      {
        email: 'evil@example.com',
        firstName: '=HYPERLINK("http://evil.example","x")',
        lastName: '+SUM(A1:A2)',
        consentSource: '@cmd',
        attributes: { plan: '-2+3', seats: '7' },
      },
      { email: 'tabby@example.com', firstName: '\tTab', lastName: '\rReturn', attributes: { plan: '=1+1' } },
    ];
    for (const body of contacts) {
      const res = await t.request('POST', '/api/v1/contacts', { body });
      expect(res.status).toBe(201);
      ids[body.email] = res.body.id;
    }
  });
  afterAll(async () => t.close());

  const download = async (qs = '') => {
    const res = await t.request('GET', `/api/v1/contacts/export.csv${qs}`);
    return { res, rows: res.status === 200 ? (parse(res.text, { columns: true }) as Record<string, string>[]) : [] };
  };

  it('needs auth', async () => {
    expect((await t.request('GET', '/api/v1/contacts/export.csv', { auth: false })).status).toBe(401);
  });

  it('streams every contact with the fixed columns, then one per defined field', async () => {
    const { res, rows } = await download();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.text.split('\n')[0]).toBe(HEADER.join(','));
    expect(rows.map((r) => r.email)).toEqual(['plain@example.com', 'evil@example.com', 'tabby@example.com']);
    expect(rows[0]).toMatchObject({
      first_name: 'Plain',
      last_name: 'Person, "Quoted"\nMultiline',
      status: 'subscribed',
      consent_source: 'form',
      consent_at: '2024-05-01T10:00:00.000Z',
      plan: 'pro',
      seats: '-5',
      vip: 'true',
      renewal: '2025-01-31T00:00:00.000Z',
    });
    expect(rows[0].created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(rows[2]).toMatchObject({ seats: '', vip: '' });
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const { rows } = await download();
    expect(rows[1]).toMatchObject({
      first_name: `'=HYPERLINK("http://evil.example","x")`,
      last_name: `'+SUM(A1:A2)`,
      consent_source: `'@cmd`,
      plan: `'-2+3`,
      seats: '7',
    });
    expect(rows[2]).toMatchObject({ first_name: `'\tTab`, last_name: `'\rReturn`, plan: `'=1+1` });
    // A formula smuggled into a number field's stored value is still neutralised.
    await t.db.query(`UPDATE contacts SET attributes = attributes || '{"seats": "=2*3"}' WHERE id = $1`, [
      ids['tabby@example.com'],
    ]);
    const again = await download();
    expect(again.rows[2].seats).toBe(`'=2*3`);
  });

  it('exports one list, and answers bad or unknown list ids and unknown parameters', async () => {
    const { res, rows } = await download(`?listId=${listId}`);
    expect(res.headers.get('content-disposition')).toContain(`contacts-list-${listId}-`);
    expect(rows.map((r) => r.email)).toEqual(['plain@example.com']);
    const bad = await t.request('GET', '/api/v1/contacts/export.csv?listId=abc');
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({ listId: expect.any(String) });
    expect((await t.request('GET', '/api/v1/contacts/export.csv?listId=424242')).status).toBe(404);
    const unknown = await t.request('GET', '/api/v1/contacts/export.csv?format=xlsx');
    expect(unknown.status).toBe(400);
    expect(unknown.body.fields).toHaveProperty('format');
    expect((await t.request('GET', '/api/v1/contacts/export.csv?segmentId=x')).status).toBe(400);
  });

  it('streams a large export with flat memory and releases its connection when the client hangs up', async () => {
    await t.db.query(
      `INSERT INTO contacts (email, first_name, attributes)
       SELECT 'bulk' || g || '@bulk.example', repeat('n', 100), jsonb_build_object('plan', repeat('p', 200))
       FROM generate_series(1, 50000) g`,
    );
    const full = await t.request('GET', '/api/v1/contacts/export.csv');
    expect(full.status).toBe(200);
    expect(parse(full.text, { columns: true })).toHaveLength(3 + 50_000);

    // Hang up after the first chunk, more times than the pool has connections. Each on a connection
    // of its own: a kept-alive one may be closed by the server's idle timeout just as it is reused.
    for (let i = 0; i < 12; i += 1) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = http.get(
          `${t.url}/api/v1/contacts/export.csv`,
          { agent: false, headers: { authorization: `Bearer ${t.apiKey}` } },
          (res) => {
            // The hang-up below is ours: the response's abort is expected.
            res.on('error', () => undefined);
            res.once('data', () => {
              req.destroy();
              resolve(res.statusCode);
            });
          },
        );
        req.once('error', reject);
      });
      expect(status).toBe(200);
    }
    // The pool and the export slots are still usable...
    const after = await download(`?listId=${listId}`);
    expect(after.res.status).toBe(200);
    expect(after.rows).toHaveLength(1);
    // ...and no COPY is left running in the database.
    let copies = -1;
    for (let i = 0; i < 50 && copies !== 0; i += 1) {
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%' AND state = 'active'`,
      );
      copies = rows[0].n;
      if (copies !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(copies).toBe(0);
  });

  describe('by segment (ExportService with a segment filter source)', () => {
    it('answers 400 when no segment filter source is registered', async () => {
      const service = new ExportService(
        t.app.get(Db),
        t.app.get(FieldsService),
        t.app.get(ListsService),
        new SegmentFilters(),
        t.config,
      );
      await expect(service.open({ segmentId: '1' })).rejects.toMatchObject({
        kind: 'invalid',
        fields: { segmentId: 'segments are not available' },
      });
    });

    it('exports the contacts a segment filter selects, with bound parameters', async () => {
      const resolver: SegmentFilterSource = {
        contactFilter: async (segmentId, firstParam) => {
          expect(segmentId).toBe('9');
          return { sql: `c.email LIKE $${firstParam} AND c.id <> $${firstParam + 1}`, params: ['%@example.com', '0'] };
        },
      };
      const filters = new SegmentFilters();
      filters.register(resolver);
      const service = new ExportService(
        t.app.get(Db),
        t.app.get(FieldsService),
        t.app.get(ListsService),
        filters,
        t.config,
      );
      const { stream, filename } = await service.open({ segmentId: '9', listId });
      expect(filename).toMatch(/^contacts-list-\d+-segment-9-/);
      let text = '';
      for await (const chunk of stream) text += String(chunk);
      const rows = parse(text, { columns: true }) as Record<string, string>[];
      expect(rows.map((r) => r.email)).toEqual(['plain@example.com']);
      // The transaction and its temp table are gone: the next export on a pooled connection works.
      const again = await service.open({ segmentId: '9' });
      let all = '';
      for await (const chunk of again.stream) all += String(chunk);
      expect(parse(all, { columns: true })).toHaveLength(3);
    });
  });
});
