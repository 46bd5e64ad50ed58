import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { fixture } from '../fixtures/csv/index.js';

describe('import preview', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const preview = (bytes: Buffer, fields: Record<string, string> = {}) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), 'contacts.csv');
    return t.request<Record<string, any>>('POST', '/api/v1/imports/preview', { raw: form });
  };
  const counts = async () =>
    (
      await t.db.query<{ imports: number; uploads: number }>(
        'SELECT (SELECT count(*)::int FROM imports) AS imports, (SELECT count(*)::int FROM import_uploads) AS uploads',
      )
    ).rows[0];

  it('reads a Mailchimp export as an import would, with the recognised columns, and stores nothing', async () => {
    const res = await preview(await fixture('mailchimp.csv'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ encoding: 'utf-8', delimiter: ',' });
    expect(res.body.header[0]).toBe('Email Address');
    expect(res.body.rows).toHaveLength(3);
    expect(res.body.rows[1]).toEqual([
      'Bob.Stone@Example.COM',
      'Bob',
      'Stone\r\nthe Second',
      '3',
      '2024-03-02 11:30:00',
      '',
      '',
    ]);
    expect(res.body.columns.slice(0, 5)).toEqual([
      { header: 'Email Address', target: 'email' },
      { header: 'First Name', target: 'firstName' },
      { header: 'Last Name', target: 'lastName' },
      { header: 'MEMBER_RATING', target: 'ignore' },
      { header: 'OPTIN_TIME', target: 'consentAt' },
    ]);
    expect(await counts()).toEqual({ imports: 0, uploads: 0 });
  });

  it('names new attributes for unknown columns when asked, and detects UTF-16 and semicolons', async () => {
    const attrs = await preview(await fixture('mailchimp.csv'), { unknownColumns: 'attributes' });
    expect(attrs.body.columns[3]).toEqual({ header: 'MEMBER_RATING', target: 'attributes.member_rating' });
    const utf16 = await preview(await fixture('excel-utf16.csv'));
    expect(utf16.body.encoding).toBe('utf-16le');
    expect(utf16.body.rows.flat()).toContain('Jürgen');
    const brevo = await preview(await fixture('brevo.csv'));
    expect(brevo.body.delimiter).toBe(';');
  });

  it('shows the first ten rows of a file sent as its first 64 KiB, leaving out the cut last line', async () => {
    const lines = ['email,name'];
    for (let i = 0; i < 5000; i += 1) lines.push(`person${i}@example.com,Person number ${i}`);
    const sample = Buffer.from(lines.join('\n')).subarray(0, 64 * 1024);
    const res = await preview(sample);
    expect(res.status).toBe(200);
    expect(res.body.rows).toHaveLength(10);
    expect(res.body.rows[9]).toEqual(['person9@example.com', 'Person number 9']);
  });

  it('answers a file without an email column with the columns as they are, for the user to map', async () => {
    const res = await preview(Buffer.from('Courriel,Nom\nann@example.com,Lee\n'));
    expect(res.status).toBe(200);
    expect(res.body.columns).toEqual([
      { header: 'Courriel', target: 'email' },
      { header: 'Nom', target: 'lastName' },
    ]);
    const none = await preview(Buffer.from('Address,Who\nann@example.com,Lee\n'));
    expect(none.body.columns.map((c: { target: string }) => c.target)).toEqual(['ignore', 'ignore']);
  });

  it('refuses an empty, binary or missing file with 400 naming file, and a sample over 64 KiB with 413', async () => {
    const empty = await preview(Buffer.alloc(0));
    expect(empty.status).toBe(400);
    expect(empty.body.fields).toHaveProperty('file');
    const binary = await preview(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 1, 2, 3, 0]));
    expect(binary.status).toBe(400);
    expect(binary.body.fields.file).toMatch(/binary/);
    const missing = await t.request<Record<string, any>>('POST', '/api/v1/imports/preview', { raw: new FormData() });
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toHaveProperty('file');
    const big = await preview(Buffer.alloc(64 * 1024 + 1, 'a'));
    expect(big.status).toBe(413);
    expect(await counts()).toEqual({ imports: 0, uploads: 0 });
  });
});
