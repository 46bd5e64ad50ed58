import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  parse,
  report,
  until,
  waitForState,
} from '../support/campaigns.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

const BODY = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello <a href="https://shop.example.com/sale">Sale</a> <a href="https://shop.example.com/new">New</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

async function pathsOf(message: SinkMessage) {
  const html = (await parse(message)).html || '';
  const pixel = /https?:\/\/[^"]*(\/t\/o\/[A-Za-z0-9_-]{22})"/.exec(html)?.[1];
  const clicks = [
    ...new Set([...html.matchAll(/https?:\/\/[^"]*(\/t\/c\/[A-Za-z0-9_-]{22}\.\d+)"/g)].map((m) => m[1])),
  ];
  if (pixel === undefined) throw new Error(`no pixel in ${html}`);
  return { pixel, clicks, unsubscribe: `/u/${pixel.slice(-22)}` };
}

/**
 * What each recipient did, as the per-campaign CSV and as a contact's
 * history: a campaign goes into an SMTP sink (one address bounces), the
 * tracking URLs of the received mail are requested by a person and by
 * machines, one recipient unsubscribes, and both views are read back.
 */
describe('campaign activity: per-recipient CSV and a contact’s history', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;

  const hit = (path: string, userAgent = BROWSER) =>
    fetch(t.url + path, { headers: { 'user-agent': userAgent }, redirect: 'manual' });
  const contactId = async (email: string) =>
    (await t.db.query<{ id: string }>(`SELECT id FROM contacts WHERE email = $1`, [email])).rows[0].id;

  async function send(listId: string, name: string) {
    const id = await createCampaign(t, { name, templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent');
    // As if delivered an hour ago: clicks right after delivery are a scanner's.
    await t.db.query(
      `UPDATE messages SET sent_at = now() - interval '1 hour' WHERE campaign_id = $1 AND status = 'sent'`,
      [id],
    );
    return id;
  }
  const mailTo = async (email: string, nth = 0) =>
    pathsOf((await until(async () => sink.messages.filter((m) => m.to[0] === email)[nth], Boolean))!);

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '200' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port);
    const res = await t.request('POST', '/api/v1/templates', { body: { name: 'Links', subject: 'News', body: BODY } });
    expect(res.status, res.text).toBe(201);
    templateId = res.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('exports one row per message with what its recipient did, formula cells neutralised, test sends left out', async () => {
    const { listId } = await createAudience(t, 'act', 2);
    await t.db.query(
      `WITH c AS (INSERT INTO contacts (email) VALUES ('=2+3@example.com'), ('gone@example.com') RETURNING id)
       INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM c`,
      [listId],
    );
    sink.behave('gone@example.com', 'rcpt-550');
    const id = await send(listId, 'Export me');
    // A test send of the same campaign, as `POST /campaigns/:id/test` leaves it.
    await t.db.query(
      `INSERT INTO messages (campaign_id, email, is_test, status) VALUES ($1, 'qa@example.net', true, 'sent')`,
      [id],
    );
    const one = await mailTo('act1@example.com');
    const two = await mailTo('act2@example.com');
    await hit(one.pixel);
    expect((await hit(one.clicks[1])).headers.get('location')).toBe('https://shop.example.com/new');
    await hit(two.pixel, 'Mozilla/5.0');
    const unsubscribed = await fetch(t.url + two.unsubscribe, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(unsubscribed.status).toBe(200);
    await until(
      () => report(t, id),
      (r) => r.opens.total.count === 2 && r.clicks.total.count === 1,
    );

    const res = await fetch(`${t.url}/api/v1/campaigns/${id}/activity.csv`, {
      headers: { authorization: `Bearer ${t.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="campaign-${id}-activity.csv"`);
    const [header, ...rows] = parseCsv(await res.text()) as string[][];
    expect(header).toEqual([
      'email',
      'status',
      'sent_at',
      'first_open_at',
      'first_click_at',
      'opened_by_person',
      'clicked_by_person',
      'unsubscribed_at',
      'bounce_reply',
    ]);
    const byEmail = new Map(rows.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
    expect([...byEmail.keys()].sort()).toEqual([
      "'=2+3@example.com",
      'act1@example.com',
      'act2@example.com',
      'gone@example.com',
    ]);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    expect(byEmail.get('act1@example.com')).toMatchObject({
      status: 'sent',
      sent_at: expect.stringMatching(iso),
      first_open_at: expect.stringMatching(iso),
      first_click_at: expect.stringMatching(iso),
      opened_by_person: 'true',
      clicked_by_person: 'true',
      unsubscribed_at: '',
      bounce_reply: '',
    });
    expect(byEmail.get('act2@example.com')).toMatchObject({
      first_open_at: expect.stringMatching(iso),
      first_click_at: '',
      opened_by_person: 'false',
      clicked_by_person: 'false',
      unsubscribed_at: expect.stringMatching(iso),
    });
    expect(byEmail.get("'=2+3@example.com")).toMatchObject({
      status: 'sent',
      first_open_at: '',
      opened_by_person: 'false',
    });
    expect(byEmail.get('gone@example.com')).toMatchObject({
      status: 'bounced',
      sent_at: '',
      bounce_reply: expect.stringMatching(/^550/),
    });

    const missing = await t.request('GET', '/api/v1/campaigns/999999/activity.csv');
    expect(missing.status).toBe(404);
    expect((await t.request('GET', '/api/v1/campaigns/abc/activity.csv')).status).toBe(400);
  });

  it('shows a contact the messages it was sent, newest first, with opens, clicks and their links, machines flagged', async () => {
    const { listId } = await createAudience(t, 'hist', 1);
    const first = await send(listId, 'First');
    const mail = await mailTo('hist1@example.com');
    await hit(mail.pixel);
    await hit(mail.pixel, 'Mozilla/5.0');
    await hit(mail.clicks[0]);
    const second = await send(listId, 'Second');
    await until(
      () => report(t, first),
      (r) => r.opens.total.count === 2 && r.clicks.total.count === 1,
    );

    const id = await contactId('hist1@example.com');
    const page = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/contacts/${id}/activity?limit=1`,
    );
    expect(page.status, page.text).toBe(200);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({
      campaignId: second,
      campaignName: 'Second',
      status: 'sent',
      events: [],
    });
    expect(page.body.nextCursor).not.toBeNull();

    const rest = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/contacts/${id}/activity?limit=1&cursor=${page.body.nextCursor}`,
    );
    expect(rest.body.nextCursor).toBeNull();
    const [older] = rest.body.items;
    expect(older).toMatchObject({
      campaignId: first,
      campaignName: 'First',
      email: 'hist1@example.com',
      sentAt: expect.any(String),
      bounceReply: null,
    });
    const events = older.events as Record<string, unknown>[];
    expect(events.map((e) => [e.type, e.machine, e.machineReason, e.url]).sort()).toEqual([
      ['click', false, null, 'https://shop.example.com/sale'],
      ['open', false, null, null],
      ['open', true, 'privacy_proxy', null],
    ]);
    const times = events.map((e) => e.at as string);
    expect(times).toEqual([...times].sort().reverse());

    expect((await t.request('GET', `/api/v1/contacts/999999/activity`)).status).toBe(404);
    const bad = await t.request<{ fields?: Record<string, string> }>('GET', `/api/v1/contacts/${id}/activity?cursor=x`);
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('cursor');
  });
});
