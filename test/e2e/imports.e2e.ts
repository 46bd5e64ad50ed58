import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { fixture, upload, waitForImport } from '../fixtures/csv/index.js';

describe('imports', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ withWorker: true });
  });
  afterAll(async () => t.close());

  const contact = async (email: string) =>
    (await t.db.query('SELECT * FROM contacts WHERE lower(email) = lower($1)', [email])).rows[0];

  it('imports a Mailchimp export: quoted commas, embedded newlines, CRLF, unknown columns to attributes', async () => {
    const res = await upload(t, await fixture('mailchimp.csv'), { unknownColumns: 'attributes' });
    expect(res.status).toBe(202);
    const done = await waitForImport(t, res.body.id);
    expect(done).toMatchObject({ status: 'done', rowsRead: 3, inserted: 3, updated: 0, failed: 0, progress: 1 });
    expect(await contact('ann.lee@example.com')).toMatchObject({
      first_name: 'Ann',
      last_name: 'Lee, Jr.',
      status: 'subscribed',
      attributes: { member_rating: '2', optin_ip: '192.0.2.1', tags: 'vip,news' },
    });
    expect((await contact('ann.lee@example.com')).consent_at.toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(await contact('bob.stone@example.com')).toMatchObject({
      email: 'Bob.Stone@example.com',
      last_name: 'Stone\r\nthe Second',
    });
    expect((await contact('carla@example.org')).last_name).toBe('Say "hi"');
    const fields = await t.db.query(`SELECT name, type FROM fields ORDER BY name`);
    expect(fields.rows).toEqual(
      expect.arrayContaining([
        { name: 'member_rating', type: 'text' },
        { name: 'tags', type: 'text' },
      ]),
    );
    // A finished import's upload is removed from disk.
    expect(await readdir(join(t.config.HERALD_DATA_DIR, 'uploads'))).toEqual([]);
  });

  it('imports a Brevo export (semicolons) into a list', async () => {
    const list = await t.db.query(`INSERT INTO lists (name) VALUES ('Newsletter') RETURNING id::text`);
    const listId = list.rows[0].id as string;
    const res = await upload(t, await fixture('brevo.csv'), { listId });
    const done = await waitForImport(t, res.body.id);
    expect(done).toMatchObject({ status: 'done', inserted: 2, listId });
    expect(await contact('dora@example.com')).toMatchObject({ first_name: 'Dora', last_name: 'Diaz', attributes: {} });
    const members = await t.db.query(
      `SELECT c.email FROM list_members m JOIN contacts c ON c.id = m.contact_id WHERE m.list_id = $1 ORDER BY 1`,
      [listId],
    );
    expect(members.rows.map((r) => r.email)).toEqual(['dora@example.com', 'eli@example.com']);
  });

  it.each([
    ['excel-utf16.csv', 'juergen@example.de', 'Jürgen', 'Groß'],
    ['windows-1252.csv', 'zoe@example.fr', 'Zoë', 'Lefèvre – €'],
    ['utf8-bom-pipe.csv', 'gus@example.com', 'Gus', null],
  ])('detects the encoding and delimiter of %s', async (name, email, first, last) => {
    const res = await upload(t, await fixture(name), { unknownColumns: 'attributes' });
    expect(res.status).toBe(202);
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', inserted: 2, failed: 0 });
    expect(await contact(email)).toMatchObject({ first_name: first, last_name: last });
  });

  it('keeps quoted delimiters in a pipe file and BOM-free header names', async () => {
    expect((await contact('gus@example.com')).attributes).toEqual({ city: 'Pipe|City' });
    expect((await contact('fay@example.com')).attributes).toEqual({ city: 'Zürich' });
  });

  it('skips bad rows with their row number and reason, lands the good ones, merges duplicates', async () => {
    await t.db.query(`INSERT INTO fields (name, type) VALUES ('score', 'number'), ('joined', 'date')`);
    const res = await upload(t, await fixture('bad-rows.csv'), { unknownColumns: 'attributes' });
    const done = await waitForImport(t, res.body.id);
    expect(done).toMatchObject({ status: 'done', rowsRead: 10, inserted: 3, updated: 0, skipped: 1, failed: 6 });
    expect(await contact('dup@example.com')).toMatchObject({
      email: 'DUP@example.com',
      first_name: 'Second',
      attributes: { score: 4, joined: '2024-01-02T00:00:00.000Z', note: 'ok' },
    });
    expect((await contact('good2@example.com')).attributes).toEqual({ score: 2 });

    const errors = await t.request('GET', `/api/v1/imports/${res.body.id}/errors.csv`);
    expect(errors.status).toBe(200);
    expect(errors.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(errors.headers.get('content-disposition')).toContain(`import-${res.body.id}-errors.csv`);
    const lines = errors.text.trim().split('\n');
    expect(lines[0]).toBe('row,email,reason');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['2', '3', '4', '5', '6', '7']);
    expect(lines[2]).toBe('3,,email is missing');
    expect(lines[3]).toBe('4,wrongtype@example.com,"""score"" must be a number"');
    expect(lines[4]).toContain('is not a valid date');
    expect(lines[5]).toContain('"""note"" is longer than 2000 characters"');
    // A formula-looking cell is neutralised for spreadsheet apps.
    expect(lines[6]).toMatch(/^7,"'=HYPERLINK/);
  });

  it('fails a row with a cell over 10 000 characters, not the import', async () => {
    const csv = `email,first_name\nshort@example.com,Short\nhuge@example.com,"${'z'.repeat(20_000)}"\n`;
    const res = await upload(t, Buffer.from(csv));
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', inserted: 1, failed: 1 });
    const errors = await t.request('GET', `/api/v1/imports/${res.body.id}/errors.csv`);
    expect(errors.text).toContain('2,huge@example.com,"""first_name"" is longer than 10000 characters"');
    expect(await contact('huge@example.com')).toBeUndefined();
  });

  it('fails a row whose email holds a NUL past the inspected start of the file, not the import', async () => {
    // The upload's first chunk is checked for binary content; a NUL far beyond it is one bad row.
    const filler = Array.from({ length: 60_000 }, (_, i) => `filler${i}@example.com,Filler`).join('\n');
    const csv = `email,first_name\n${filler}\nnul\u0000byte@example.com,Nul\nafter@example.com,After\n`;
    const res = await upload(t, Buffer.from(csv));
    expect(res.status).toBe(202);
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', inserted: 60_001, failed: 1 });
    const errors = await t.request('GET', `/api/v1/imports/${res.body.id}/errors.csv`);
    expect(errors.text).toContain('60001,nul\uFFFDbyte@example.com,"""email"" contains a NUL character"');
    expect(await contact('after@example.com')).toBeDefined();
  });

  it('quotes at most 100 characters of a column name in each row error', async () => {
    const header = `Status ${'s'.repeat(5000)}`;
    const res = await upload(t, Buffer.from(`email,${header}\nlabel1@example.com,maybe\n`), {
      mapping: JSON.stringify({ [header]: 'status' }),
    });
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', failed: 1 });
    const rows = await t.db.query('SELECT reason FROM import_errors WHERE import_id = $1', [res.body.id]);
    expect(rows.rows[0].reason).toMatch(/^"Status s+…" must be one of subscribed/);
    expect(rows.rows[0].reason.length).toBeLessThan(200);
  });

  it('keeps a file name given as RFC 5987 filename* without its control characters', async () => {
    const b = 'herald-test-boundary';
    const raw =
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''a%00b%0Ac.csv\r\n` +
      `Content-Type: text/csv\r\n\r\nemail\r\nstarname@example.com\r\n--${b}--\r\n`;
    const res = await t.request('POST', '/api/v1/imports', {
      raw,
      headers: { 'content-type': `multipart/form-data; boundary=${b}` },
    });
    expect(res.status).toBe(202);
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', fileName: 'abc.csv', inserted: 1 });
  });

  it('never resubscribes unsubscribed, bounced or suppressed addresses; upsert updates, skip-existing does not', async () => {
    await t.db.query(
      `INSERT INTO contacts (email, first_name, status, attributes) VALUES
         ('gone@example.com', 'Gone', 'unsubscribed', '{"plan":"old"}'),
         ('bounce@example.com', 'Bounce', 'bounced', '{}'),
         ('keep@example.com', 'Keep', 'subscribed', '{"plan":"old","tier":"a"}')`,
    );
    await t.db.query(
      `INSERT INTO suppressions (email, email_hash, reason) VALUES
         (NULL, encode(sha256(convert_to(lower('Erased@Example.com'), 'UTF8')), 'hex'), 'complained')`,
    );
    const csv = [
      'email,first_name,plan,status',
      'gone@example.com,Back,new,subscribed',
      'bounce@example.com,Back,new,',
      'KEEP@example.com,Kept,new,',
      'erased@example.com,Erased,new,subscribed',
      'fresh@example.com,Fresh,new,',
    ].join('\n');
    const mapping = JSON.stringify({ plan: 'attributes.plan', status: 'status' });

    const skip = await upload(t, Buffer.from(csv), { mode: 'skip-existing', mapping });
    expect(await waitForImport(t, skip.body.id)).toMatchObject({ status: 'done', inserted: 2, skipped: 3 });
    expect(await contact('keep@example.com')).toMatchObject({ first_name: 'Keep', attributes: { plan: 'old' } });
    expect(await contact('erased@example.com')).toMatchObject({ status: 'complained' });

    const upsert = await upload(t, Buffer.from(csv), { mode: 'upsert', mapping });
    expect(await waitForImport(t, upsert.body.id)).toMatchObject({ status: 'done', inserted: 0, updated: 5 });
    expect(await contact('gone@example.com')).toMatchObject({ status: 'unsubscribed', first_name: 'Back' });
    expect(await contact('bounce@example.com')).toMatchObject({ status: 'bounced' });
    expect(await contact('erased@example.com')).toMatchObject({ status: 'complained' });
    expect(await contact('keep@example.com')).toMatchObject({
      status: 'subscribed',
      first_name: 'Kept',
      attributes: { plan: 'new', tier: 'a' },
    });
    const count = await t.db.query(`SELECT count(*)::int AS n FROM contacts WHERE lower(email) = 'keep@example.com'`);
    expect(count.rows[0].n).toBe(1);
  });

  it('records the opt-outs a file brings in as suppressions, so the API cannot resubscribe them', async () => {
    await t.db.query(`INSERT INTO contacts (email, status) VALUES ('leaving@example.com', 'subscribed')`);
    const csv = [
      'email,status',
      'optout@example.com,unsubscribed',
      'leaving@example.com,complained',
      'ok@example.com,',
    ];
    const res = await upload(t, Buffer.from(csv.join('\n')), {
      mode: 'upsert',
      mapping: JSON.stringify({ status: 'status' }),
    });
    expect(await waitForImport(t, res.body.id)).toMatchObject({ status: 'done', inserted: 2, updated: 1 });

    const suppressed = await t.db.query(
      `SELECT email, reason, source FROM suppressions WHERE email IN ('optout@example.com', 'leaving@example.com', 'ok@example.com') ORDER BY email`,
    );
    expect(suppressed.rows).toEqual([
      { email: 'leaving@example.com', reason: 'complained', source: 'import' },
      { email: 'optout@example.com', reason: 'unsubscribed', source: 'import' },
    ]);
    const { rows } = await t.db.query(`SELECT id::text FROM contacts WHERE email = 'optout@example.com'`);
    const resubscribe = await t.request('PATCH', `/api/v1/contacts/${rows[0].id}`, { body: { status: 'subscribed' } });
    expect(resubscribe.status).toBe(409);
  });

  it('lists imports newest first with a cursor, and answers unknown or malformed ids', async () => {
    const first = await t.request('GET', '/api/v1/imports?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(Number(first.body.items[0].id)).toBeGreaterThan(Number(first.body.items[1].id));
    const second = await t.request('GET', `/api/v1/imports?limit=2&cursor=${first.body.nextCursor}`);
    expect(Number(second.body.items[0].id)).toBeLessThan(Number(first.body.items[1].id));
    expect((await t.request('GET', '/api/v1/imports/999999')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/imports/999999/errors.csv')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/imports/abc')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/imports', { auth: false })).status).toBe(401);
  });

  describe('rejects bad uploads with a 4xx naming the culprit, leaving nothing behind', () => {
    const cases: [string, () => Promise<Buffer>, Record<string, string>, string][] = [
      ['an empty file', async () => Buffer.alloc(0), {}, 'file'],
      ['a binary file', async () => Buffer.from('89504e470d0a1a0a0000000d49484452000000', 'hex'), {}, 'file'],
      ['a file without an email column', async () => Buffer.from('name,phone\nAnn,123\n'), {}, 'file'],
      ['a header without rows', async () => Buffer.from('email\n'), {}, 'file'],
      ['a mapping that is not JSON', () => fixture('brevo.csv'), { mapping: '{"EMAIL":' }, 'mapping'],
      ['a mapping to an unknown target', () => fixture('brevo.csv'), { mapping: '{"SMS":"phone"}' }, 'mapping'],
      ['a mapping of a missing column', () => fixture('brevo.csv'), { mapping: '{"Mail":"email"}' }, 'mapping'],
      ['an unknown list', () => fixture('brevo.csv'), { listId: '987654' }, 'listId'],
      ['a malformed list id', () => fixture('brevo.csv'), { listId: 'x' }, 'listId'],
      ['an unknown mode', () => fixture('brevo.csv'), { mode: 'merge' }, 'mode'],
      ['an unknown form field', () => fixture('brevo.csv'), { colour: 'red' }, 'colour'],
      [
        'a 10 MB field',
        async () => Buffer.from(`email,note\nok@example.com,x\nbig@example.com,"${'y'.repeat(10 * 1024 * 1024)}"\n`),
        {},
        'file',
      ],
    ];
    it.each(cases)('%s', async (_name, body, fields, culprit) => {
      const before = (await t.db.query('SELECT count(*)::int AS n FROM imports')).rows[0].n;
      const res = await upload(t, await body(), fields);
      expect(res.status).toBe(400);
      expect(res.body.fields).toHaveProperty(culprit);
      expect((await t.db.query('SELECT count(*)::int AS n FROM imports')).rows[0].n).toBe(before);
      expect(await readdir(join(t.config.HERALD_DATA_DIR, 'uploads'))).toEqual([]);
    });

    it('names row 2 for the 10 MB field', async () => {
      const res = await upload(
        t,
        Buffer.from(`email,note\nok@example.com,x\nbig@example.com,"${'y'.repeat(10 * 1024 * 1024)}"\n`),
      );
      expect(res.body.fields.file).toMatch(/^row 2 /);
    });

    it('a request without a file', async () => {
      const form = new FormData();
      form.append('mode', 'upsert');
      const res = await t.request('POST', '/api/v1/imports', { raw: form });
      expect(res.status).toBe(400);
      expect(res.body.fields).toHaveProperty('file');
      // The route takes multipart uploads only.
      const json = await t.request('POST', '/api/v1/imports', { body: { mode: 'upsert' } });
      expect(json.status).toBe(415);
    });
  });

  it('is in the OpenAPI document', async () => {
    const docs = await t.request('GET', '/api/docs-json', { auth: false });
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/imports', '/api/v1/imports/{id}', '/api/v1/imports/{id}/errors.csv']),
    );
    expect(JSON.stringify(docs.body.paths['/api/v1/imports'].post)).toContain('multipart/form-data');
  });
});

describe('imports over the size limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_IMPORT_MAX_BYTES: '1000' } });
  });
  afterAll(async () => t.close());

  it('answers 413 naming file and removes the partial upload', async () => {
    const big = Buffer.from(`email\n${'someone@example.com\n'.repeat(100)}`);
    const res = await upload(t, big);
    expect(res.status).toBe(413);
    expect(res.body.fields).toHaveProperty('file');
    const left = await readdir(join(t.config.HERALD_DATA_DIR, 'uploads')).catch(() => []);
    expect(left).toEqual([]);
    expect((await t.db.query('SELECT count(*)::int AS n FROM imports')).rows[0].n).toBe(0);
    expect((await upload(t, Buffer.from('email\nsmall@example.com\n'))).status).toBe(202);
  });
});
