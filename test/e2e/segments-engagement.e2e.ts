import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

/**
 * "Received" conditions, answered from `messages` (the delivery lib's table)
 * through the SQL the delivery lib registers with segments. Campaigns,
 * contacts and messages are arranged directly in SQL, as sending would
 * leave them.
 */
describe('segments: received engagement conditions', () => {
  let t: TestApp;
  const campaigns = { spring: '', summer: '' };

  beforeAll(async () => {
    t = await startTestApp();
    await t.db.query(`
      INSERT INTO contacts (email)
      SELECT name || '@example.com' FROM unnest(ARRAY['ann', 'bob', 'cat', 'dan', 'eve', 'fay']) AS name`);
    const ids = await t.db.query<{ id: string }>(
      `INSERT INTO campaigns (name, state) VALUES ('Spring', 'sent'), ('Summer', 'sent') RETURNING id`,
    );
    [campaigns.spring, campaigns.summer] = ids.rows.map((r) => r.id);
    // [contact, campaign, status, is_test, sent days ago]
    const messages: [string, string, string, boolean, number | null][] = [
      ['ann', campaigns.spring, 'sent', false, 2],
      ['bob', campaigns.spring, 'sent', false, 40],
      ['fay', campaigns.summer, 'sent', false, 1],
      // Not received: a bounce, a message still queued, a test send to a contact's address.
      ['cat', campaigns.spring, 'bounced', false, null],
      ['cat', campaigns.summer, 'queued', false, null],
      ['dan', campaigns.spring, 'sent', true, 3],
    ];
    for (const [name, campaign, status, isTest, daysAgo] of messages) {
      await t.db.query(
        `INSERT INTO messages (campaign_id, contact_id, email, status, is_test, sent_at)
         SELECT $1, id, email, $2, $3, now() - make_interval(days => $4::int) FROM contacts WHERE email = $5`,
        [campaign, status, isTest, daysAgo, `${name}@example.com`],
      );
    }
    // A test send to an address that is no contact.
    await t.db.query(
      `INSERT INTO messages (campaign_id, email, status, is_test, sent_at) VALUES ($1, 'outside@example.com', 'sent', true, now())`,
      [campaigns.summer],
    );
  });
  afterAll(async () => t?.close());

  const received = (value?: Record<string, unknown>) =>
    value === undefined ? { field: 'engagement', op: 'received' } : { field: 'engagement', op: 'received', value };

  async function preview(rules: unknown): Promise<{ count: number; names: string[] }> {
    const res = await t.request<{ count: number; sample: { email: string }[] }>('POST', '/api/v1/segments/preview', {
      body: { rules },
    });
    expect(res.status, res.text).toBe(200);
    return { count: res.body.count, names: res.body.sample.map((s) => s.email.split('@')[0]).sort() };
  }

  it('counts contacts that were sent any campaign, tests and failures aside', async () => {
    expect(await preview({ all: [received()] })).toEqual({ count: 3, names: ['ann', 'bob', 'fay'] });
    expect(await preview({ all: [received({})] })).toEqual({ count: 3, names: ['ann', 'bob', 'fay'] });
  });

  it('narrows to the last days', async () => {
    expect(await preview({ all: [received({ withinDays: 30 })] })).toEqual({ count: 2, names: ['ann', 'fay'] });
    expect(await preview({ all: [received({ withinDays: 1 })] })).toEqual({ count: 0, names: [] });
    expect(await preview({ all: [received({ withinDays: 41 })] })).toEqual({ count: 3, names: ['ann', 'bob', 'fay'] });
  });

  it('narrows to one campaign, given as a string or a number', async () => {
    expect(await preview({ all: [received({ campaignId: campaigns.spring })] })).toEqual({
      count: 2,
      names: ['ann', 'bob'],
    });
    expect(await preview({ all: [received({ campaignId: Number(campaigns.summer) })] })).toEqual({
      count: 1,
      names: ['fay'],
    });
    expect(await preview({ all: [received({ campaignId: campaigns.spring, withinDays: 30 })] })).toEqual({
      count: 1,
      names: ['ann'],
    });
  });

  it('answers "did not receive" with a none group', async () => {
    expect(await preview({ none: [received({ campaignId: campaigns.spring })] })).toEqual({
      count: 4,
      names: ['cat', 'dan', 'eve', 'fay'],
    });
    expect(await preview({ none: [received()] })).toEqual({ count: 3, names: ['cat', 'dan', 'eve'] });
    expect(
      await preview({ all: [received({ withinDays: 30 }), { none: [received({ campaignId: campaigns.summer })] }] }),
    ).toEqual({ count: 1, names: ['ann'] });
  });

  it('saves a segment with received rules and counts it', async () => {
    const rules = { all: [received({ campaignId: campaigns.spring })] };
    const created = await t.request<{ id: string }>('POST', '/api/v1/segments', {
      body: { name: 'Got spring', rules },
    });
    expect(created.status).toBe(201);
    const got = await t.request<{ count: number; countError: string | null }>(
      'GET',
      `/api/v1/segments/${created.body.id}`,
    );
    expect(got.body).toMatchObject({ count: 2, countError: null });
  });

  it('refuses a malformed campaign id at its path', async () => {
    const badId = await t.request('POST', '/api/v1/segments/preview', {
      body: { rules: { all: [received({ campaignId: '1; DROP TABLE messages' })] } },
    });
    expect(badId.status).toBe(400);
    expect(badId.body.fields).toHaveProperty(['rules.all[0].value.campaignId']);
  });
});
