import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emailHash, emailHashSql } from '../../libs/contacts/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

const sha = (s: string) => createHash('sha256').update(s.toLowerCase()).digest('hex');

describe('suppressions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  const contact = async (body: Record<string, unknown>) => {
    const res = await t.request('POST', '/api/v1/contacts', { body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; status: string; email: string };
  };
  const statusOf = async (id: string) => (await t.request('GET', `/api/v1/contacts/${id}`)).body.status;

  it('needs auth', async () => {
    expect((await t.request('GET', '/api/v1/suppressions', { auth: false })).status).toBe(401);
    expect(
      (await t.request('POST', '/api/v1/suppressions', { auth: false, body: { email: 'a@example.com' } })).status,
    ).toBe(401);
    expect((await t.request('DELETE', '/api/v1/suppressions/1', { auth: false })).status).toBe(401);
  });

  it('computes the same hash in TypeScript and in SQL', async () => {
    for (const email of ['Jane.Doe@example.com', 'ÜMLAUT@bücher.de', 'x+y@sub.example.org']) {
      const { rows } = await t.db.query(`SELECT ${emailHashSql('$1::text')} AS h`, [email]);
      expect(rows[0].h).toBe(emailHash(email));
      expect(emailHash(email)).toBe(sha(email));
    }
  });

  it('suppresses an address idempotently and stops mail to its contact', async () => {
    const c = await contact({ email: 'Leaver@Example.com' });
    expect(c.status).toBe('subscribed');
    const res = await t.request('POST', '/api/v1/suppressions', {
      body: { email: ' leaver@EXAMPLE.com', source: 'support ticket' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      email: 'leaver@example.com',
      emailHash: sha('leaver@example.com'),
      reason: 'manual',
      source: 'support ticket',
    });
    expect(await statusOf(c.id)).toBe('unsubscribed');

    const again = await t.request('POST', '/api/v1/suppressions', {
      body: { email: 'LEAVER@example.com', reason: 'bounced' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: res.body.id, reason: 'manual' });

    const found = await t.request('GET', '/api/v1/suppressions?email=Leaver@example.com');
    expect(found.body.items.map((s: { id: string }) => s.id)).toEqual([res.body.id]);

    const bounced = await contact({ email: 'hard@example.com' });
    await t.request('POST', '/api/v1/suppressions', { body: { email: 'hard@example.com', reason: 'bounced' } });
    expect(await statusOf(bounced.id)).toBe('bounced');
  });

  it('rejects bad input with 400 naming the field, and unknown ids with 404', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'email'],
      [{ email: 5 }, 'email'],
      [{ email: 'nope' }, 'email'],
      [{ email: 'ok@example.com', reason: 'angry' }, 'reason'],
      [{ email: 'ok@example.com', source: 'x'.repeat(201) }, 'source'],
      [{ email: 'ok@example.com', source: 'a\u0000b' }, 'source'],
      [{ email: 'ok\u0000@example.com' }, 'email'],
      [{ email: 'ok@example.com', contactId: '1' }, 'contactId'],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('POST', '/api/v1/suppressions', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.fields), JSON.stringify(body)).toContain(field);
    }
    expect((await t.request('GET', '/api/v1/suppressions?email=nope')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/suppressions?cursor=zz')).status).toBe(400);
    expect((await t.request('DELETE', '/api/v1/suppressions/abc')).status).toBe(400);
    expect((await t.request('DELETE', '/api/v1/suppressions/424242')).status).toBe(404);
  });

  it('stores a suppressed address with its suppression status, never subscribed', async () => {
    await t.request('POST', '/api/v1/suppressions', {
      body: { email: 'complainer@example.com', reason: 'complained' },
    });
    const c = await contact({ email: 'Complainer@example.com', status: 'subscribed' });
    expect(c.status).toBe('complained');
  });

  it('records a suppression when a contact stops being subscribed, and refuses resubscribing while suppressed', async () => {
    const c = await contact({ email: 'flip@example.com' });
    const unsub = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { status: 'unsubscribed' } });
    expect(unsub.body.status).toBe('unsubscribed');
    const { rows } = await t.db.query('SELECT email, reason FROM suppressions WHERE email_hash = $1', [
      sha('flip@example.com'),
    ]);
    expect(rows).toEqual([{ email: 'flip@example.com', reason: 'unsubscribed' }]);

    const back = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { status: 'subscribed' } });
    expect(back.status).toBe(409);
    expect(back.body.fields).toEqual({ status: expect.stringContaining('suppressed') });
    expect(await statusOf(c.id)).toBe('unsubscribed');

    // Editing something else neither resubscribes nor fails.
    const rename = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { firstName: 'Flip' } });
    expect(rename.body).toMatchObject({ status: 'unsubscribed', firstName: 'Flip' });

    // Removing the suppression resubscribes nobody; an explicit update then may.
    const [{ id }] = (await t.request('GET', '/api/v1/suppressions?email=flip@example.com')).body.items;
    expect((await t.request('DELETE', `/api/v1/suppressions/${id}`)).status).toBe(204);
    expect(await statusOf(c.id)).toBe('unsubscribed');
    await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { firstName: 'Flipper' } });
    const count = await t.db.query('SELECT count(*)::int AS n FROM suppressions WHERE email_hash = $1', [
      sha('flip@example.com'),
    ]);
    expect(count.rows[0].n).toBe(0);
    const resub = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { status: 'subscribed' } });
    expect(resub.status).toBe(200);
    expect(resub.body.status).toBe('subscribed');
  });

  it('moving a contact onto a suppressed address takes the suppression status', async () => {
    await t.request('POST', '/api/v1/suppressions', { body: { email: 'blocked@example.com' } });
    const c = await contact({ email: 'mover@example.com' });
    const moved = await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { email: 'Blocked@example.com' } });
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('unsubscribed');
  });

  it('erases a contact but keeps only the hash of an opted-out address', async () => {
    const list = (await t.request('POST', '/api/v1/lists', { body: { name: 'Erasure' } })).body;
    const c = await contact({ email: 'Forget.Me@example.com', firstName: 'Forget', listIds: [list.id] });
    await t.request('PATCH', `/api/v1/contacts/${c.id}`, { body: { status: 'unsubscribed' } });
    const imp = await t.db.query(
      `INSERT INTO imports (file_name, size_bytes, mode) VALUES ('a.csv', 1, 'upsert') RETURNING id`,
    );
    await t.db.query(`INSERT INTO import_errors (import_id, row_number, email, reason) VALUES ($1, 2, $2, 'x')`, [
      imp.rows[0].id,
      'forget.me@EXAMPLE.com',
    ]);

    expect((await t.request('DELETE', `/api/v1/contacts/${c.id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/contacts/${c.id}`)).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/contacts/${c.id}`)).status).toBe(404);

    const left = await t.db.query(
      `SELECT (SELECT count(*) FROM contacts WHERE lower(email) = 'forget.me@example.com')::int AS contacts,
              (SELECT count(*) FROM list_members WHERE contact_id = $1)::int AS memberships,
              (SELECT count(*) FROM import_errors WHERE email IS NOT NULL)::int AS import_errors`,
      [c.id],
    );
    expect(left.rows[0]).toEqual({ contacts: 0, memberships: 0, import_errors: 0 });
    const sup = await t.db.query('SELECT email, email_hash, reason FROM suppressions WHERE email_hash = $1', [
      sha('forget.me@example.com'),
    ]);
    expect(sup.rows).toEqual([{ email: null, email_hash: sha('forget.me@example.com'), reason: 'unsubscribed' }]);
    const dump = await t.db.query(`SELECT count(*)::int AS n FROM suppressions WHERE email ILIKE '%forget.me%'`);
    expect(dump.rows[0].n).toBe(0);

    // The opt-out still holds if the address comes back.
    const back = await contact({ email: 'forget.me@example.com' });
    expect(back.status).toBe('unsubscribed');
  });

  it('erases a contact that never opted out without leaving anything behind', async () => {
    const c = await contact({ email: 'clean@example.com' });
    expect((await t.request('DELETE', `/api/v1/contacts/${c.id}`)).status).toBe(204);
    const n = await t.db.query('SELECT count(*)::int AS n FROM suppressions WHERE email_hash = $1', [
      sha('clean@example.com'),
    ]);
    expect(n.rows[0].n).toBe(0);
  });

  it('erasure also blanks the plaintext of a suppression recorded for a bounced contact', async () => {
    const c = await contact({ email: 'bouncy@example.com', status: 'bounced' });
    expect(c.status).toBe('bounced');
    await t.request('DELETE', `/api/v1/contacts/${c.id}`);
    const sup = await t.db.query('SELECT email, reason FROM suppressions WHERE email_hash = $1', [
      sha('bouncy@example.com'),
    ]);
    expect(sup.rows).toEqual([{ email: null, reason: 'bounced' }]);
    const listed = await t.request('GET', '/api/v1/suppressions?email=bouncy@example.com');
    expect(listed.body.items).toEqual([expect.objectContaining({ email: null, reason: 'bounced' })]);
  });

  it('pages through suppressions', async () => {
    for (let i = 0; i < 7; i += 1) {
      await t.request('POST', '/api/v1/suppressions', { body: { email: `page${i}@supp.example` } });
    }
    const all = (await t.db.query('SELECT id::text FROM suppressions ORDER BY suppressions.id')).rows.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.request(
        'GET',
        `/api/v1/suppressions?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.items.map((s) => s.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });
});
