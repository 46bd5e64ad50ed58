import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppSecret, MessageTokens } from '../../libs/common/src/index.js';
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
  <mj-text>Hello {{default first_name "friend"}}</mj-text>
  <mj-button href="https://shop.example.com/sale">Shop</mj-button>
  <mj-text><a href="https://shop.example.com/p?who={{email}}">Yours</a> <a href="{{webview_url}}">Web</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

/** The tracking paths of one received message, as a mail client would find them. */
interface MailLinks {
  pixel: string;
  clicks: string[];
  webView: string;
  token: string;
}

async function linksOf(message: SinkMessage): Promise<MailLinks> {
  const html = (await parse(message)).html || '';
  const pixel = /https?:\/\/[^"]*(\/t\/o\/[A-Za-z0-9_-]{22})"/.exec(html)?.[1];
  const webView = /https?:\/\/[^"]*(\/w\/[A-Za-z0-9_-]{22})"/.exec(html)?.[1];
  const clicks = [...html.matchAll(/https?:\/\/[^"]*(\/t\/c\/[A-Za-z0-9_-]{22}\.\d+)"/g)].map((m) => m[1]);
  if (pixel === undefined || webView === undefined) throw new Error(`no tracking URLs in ${html}`);
  return { pixel, clicks: [...new Set(clicks)], webView, token: pixel.slice(-22) };
}

/**
 * Opens, clicks and the web view, end to end: a campaign goes into an SMTP
 * sink, the tracking URLs are taken from the mail as received, requested
 * like a mail client or a scanner would, and the report and the event rows
 * are checked once the buffer has written them.
 */
describe('tracking: opens, clicks, web view, report', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;
  const logLines: string[] = [];

  const hit = (path: string, init: { method?: string; userAgent?: string | null; language?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (init.userAgent !== null) headers['user-agent'] = init.userAgent ?? BROWSER;
    if (init.language) headers['accept-language'] = init.language;
    return fetch(t.url + path, { method: init.method ?? 'GET', headers, redirect: 'manual' });
  };
  const events = async (campaignId: string) =>
    (
      await t.db.query<{
        type: string;
        email: string;
        link_index: number | null;
        machine: boolean;
        machine_reason: string | null;
      }>(
        `SELECT e.type, m.email, e.link_index, e.machine, e.machine_reason FROM events e JOIN messages m ON m.id = e.message_id
         WHERE e.campaign_id = $1 ORDER BY e.id`,
        [campaignId],
      )
    ).rows;
  const eventCount = async () => Number((await t.db.query(`SELECT count(*) FROM events`)).rows[0].count);

  async function sendCampaign(prefix: string, count: number, extra: string[] = []) {
    const { listId, emails } = await createAudience(t, prefix, count);
    await t.db.query(
      `WITH c AS (INSERT INTO contacts (email) SELECT unnest($1::text[]) RETURNING id)
       INSERT INTO list_members (list_id, contact_id) SELECT $2, id FROM c`,
      [extra, listId],
    );
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent');
    const mails = new Map<string, MailLinks>();
    for (const m of sink.messages.filter((m) => m.to[0].startsWith(prefix) || extra.includes(m.to[0])))
      mails.set(m.to[0], await linksOf(m));
    return { id, mails, emails: [...emails, ...extra] };
  }

  /** As if the messages had been delivered an hour ago: clicks right after delivery are scanners'. */
  const deliveredAnHourAgo = (campaignId: string, except: string[] = []) =>
    t.db.query(
      `UPDATE messages SET sent_at = now() - interval '1 hour' WHERE campaign_id = $1 AND email <> ALL($2::text[])`,
      [campaignId, except],
    );

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
      env: { HERALD_SCHEDULER_TICK_MS: '200', LOG_LEVEL: 'info' },
      logDestination: { write: (line) => logLines.push(line) },
    });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port);
    const res = await t.request('POST', '/api/v1/templates', {
      body: { name: 'Tracked', subject: 'News', body: BODY },
    });
    expect(res.status, res.text).toBe(201);
    templateId = res.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('counts opens and clicks from the received mail, people and machines side by side, per link, hour and domain', async () => {
    const { id, mails } = await sendCampaign('rep', 3, ['zed@Other.Example']);
    await deliveredAnHourAgo(id, ['zed@Other.Example']);
    const [a, b, c] = ['rep1@example.com', 'rep2@example.com', 'rep3@example.com'].map((e) => mails.get(e)!);
    const zed = mails.get('zed@Other.Example')!;
    expect(a.clicks).toHaveLength(2);

    // a: a person opens twice and clicks the personalised link.
    const pixel = await hit(a.pixel);
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    expect(pixel.headers.get('cache-control')).toBe('no-store');
    expect(
      Buffer.from(await pixel.arrayBuffer())
        .subarray(0, 6)
        .toString('latin1'),
    ).toBe('GIF89a');
    await hit(a.pixel);
    const click = await hit(a.clicks[1]);
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example.com/p?who=rep1%40example.com');
    // b: Apple's privacy proxy and a HEAD request: machine opens.
    await hit(b.pixel, { userAgent: 'Mozilla/5.0' });
    const head = await hit(b.pixel, { method: 'HEAD' });
    expect(head.status).toBe(200);
    // c: a scanner follows the first link.
    expect((await hit(c.clicks[0], { userAgent: 'curl/8.5.0' })).headers.get('location')).toBe(
      'https://shop.example.com/sale',
    );
    // zed: a browser-looking click seconds after delivery is a link scanner.
    expect((await hit(zed.clicks[0])).status).toBe(302);

    const r = await until(
      () => report(t, id),
      (r) => r.opens.total.count === 4 && r.clicks.total.count === 3,
    );
    expect(r).toMatchObject({
      sent: 4,
      opens: { total: { count: 4, rate: 1 }, human: { count: 2, rate: 0.5 } },
      uniqueOpens: { total: { count: 2, rate: 0.5 }, human: { count: 1, rate: 0.25 } },
      clicks: { total: { count: 3, rate: 0.75 }, human: { count: 1, rate: 0.25 } },
      uniqueClicks: { total: { count: 3, rate: 0.75 }, human: { count: 1, rate: 0.25 } },
      clickToOpenRate: { total: 1.5, human: 1 },
      unsubscribes: { count: 0, rate: 0 },
      complaints: { count: 0, rate: 0 },
      bounces: { hard: { count: 0, rate: 0 }, soft: { count: 0, rate: 0 } },
    });
    expect(r.links).toEqual([
      {
        index: 0,
        url: 'https://shop.example.com/sale',
        clicks: { total: 2, human: 0 },
        uniqueClicks: { total: 2, human: 0 },
      },
      {
        index: 1,
        url: 'https://shop.example.com/p?who={{email}}',
        clicks: { total: 1, human: 1 },
        uniqueClicks: { total: 1, human: 1 },
      },
    ]);
    const hourly = r.hourly as { opens: { total: number; human: number }; clicks: { total: number } }[];
    expect(hourly.reduce((sum, h) => sum + h.opens.total, 0)).toBe(4);
    expect(hourly.reduce((sum, h) => sum + h.opens.human, 0)).toBe(2);
    expect(hourly.reduce((sum, h) => sum + h.clicks.total, 0)).toBe(3);
    expect(r.domains).toEqual([
      {
        domain: 'example.com',
        delivered: 3,
        bounced: 0,
        failed: 0,
        uniqueOpens: { total: { count: 2, rate: 0.6667 }, human: { count: 1, rate: 0.3333 } },
        uniqueClicks: { total: { count: 2, rate: 0.6667 }, human: { count: 1, rate: 0.3333 } },
        unsubscribes: { count: 0, rate: 0 },
      },
      {
        domain: 'other.example',
        delivered: 1,
        bounced: 0,
        failed: 0,
        uniqueOpens: { total: { count: 0, rate: 0 }, human: { count: 0, rate: 0 } },
        uniqueClicks: { total: { count: 1, rate: 1 }, human: { count: 0, rate: 0 } },
        unsubscribes: { count: 0, rate: 0 },
      },
    ]);

    const rows = await events(id);
    const reasons = rows.map((e) => [e.email, e.type, e.link_index, e.machine_reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['rep1@example.com', 'open', null, null],
        ['rep1@example.com', 'open', null, null],
        ['rep1@example.com', 'click', 1, null],
        ['rep2@example.com', 'open', null, 'privacy_proxy'],
        ['rep2@example.com', 'open', null, 'head_request'],
        ['rep3@example.com', 'click', 0, 'bot_user_agent'],
        ['zed@Other.Example', 'click', 0, 'click_right_after_send'],
      ]),
    );
    expect(rows).toHaveLength(7);

    // A later open of a message already opened adds to the total, not to the unique count.
    await hit(a.pixel);
    const again = await until(
      () => report(t, id),
      (r) => r.opens.total.count === 5,
    );
    expect(again.uniqueOpens.total.count).toBe(2);
    expect(again.opens.human.count).toBe(3);
  });

  it('calls clicks on different links of one message within seconds a scanner', async () => {
    const { id, mails } = await sendCampaign('burst', 1);
    await deliveredAnHourAgo(id);
    const mail = mails.get('burst1@example.com')!;
    await hit(mail.clicks[0]);
    await hit(mail.clicks[1]);
    const rows = await until(
      () => events(id),
      (rows) => rows.length === 2,
    );
    expect(rows[1]).toMatchObject({ link_index: 1, machine: true, machine_reason: 'link_burst' });
  });

  it('answers the same 404 page to forged, altered, truncated and unknown tokens and link indexes, and records nothing', async () => {
    const { id, mails } = await sendCampaign('bad', 1);
    await deliveredAnHourAgo(id);
    const mail = mails.get('bad1@example.com')!;
    const before = await eventCount();
    const altered = mail.token.slice(0, 5) + (mail.token[5] === 'A' ? 'B' : 'A') + mail.token.slice(6);
    // A token that verifies, of a message that does not exist.
    const unknown = new MessageTokens(t.app.get(AppSecret).value).sign('987654321');
    const paths = [
      `/t/o/${altered}`,
      `/t/o/${mail.token.slice(0, 21)}`,
      '/t/o/AAAAAAAAAAAAAAAAAAAAAA',
      `/t/c/${altered}.0`,
      `/t/c/${mail.token}.99`,
      `/t/c/${mail.token}.x`,
      `/t/c/${mail.token.slice(0, 20)}.0`,
      `/t/c/${unknown}.0`,
      `/w/${altered}`,
      `/w/${unknown}`,
    ];
    const pages = new Set<string>();
    for (const path of paths) {
      const res = await hit(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control'), path).toBe('no-store');
      pages.add(await res.text());
    }
    expect(pages.size).toBe(1);
    expect([...pages][0]).toContain('This link is not valid');
    const german = await hit(`/t/o/${altered}`, { language: 'de-AT,en;q=0.5' });
    expect(await german.text()).toContain('Dieser Link ist ungültig');
    // The pixel of a deleted message is still a pixel (the answer does not wait for the database), but counts nothing.
    expect((await hit(`/t/o/${unknown}`)).status).toBe(200);

    // One valid open afterwards: once it is written, everything before it was too.
    await hit(mail.pixel);
    await until(eventCount, (n) => n > before);
    expect(await eventCount()).toBe(before + 1);
    expect((await events(id)).map((e) => e.type)).toEqual(['open']);
  });

  it('never counts test sends, whose links lead where the template says before the campaign starts', async () => {
    const { listId } = await createAudience(t, 'drafted', 1);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    const res = await t.request('POST', `/api/v1/campaigns/${id}/test`, { body: { emails: ['tester@example.net'] } });
    expect(res.status, res.text).toBe(200);
    const mail = await linksOf(
      (await until(async () => sink.messages.find((m) => m.to[0] === 'tester@example.net'), Boolean))!,
    );
    await t.db.query(`UPDATE messages SET sent_at = now() - interval '1 hour' WHERE campaign_id = $1`, [id]);
    expect((await hit(mail.pixel)).status).toBe(200);
    // A draft has no stored links yet (they are stored at start): its test send's links come from its template.
    const click = await hit(mail.clicks[0]);
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.example.com/sale');
    const personal = await hit(mail.clicks[1]);
    expect(personal.headers.get('location')).toBe('https://shop.example.com/p?who=tester%40example.net');
    expect((await hit(`${mail.clicks[0].replace(/\.\d+$/, '')}.7`)).status).toBe(404);

    // A real campaign's open after them: once it is written, so were they (had they counted).
    const other = await sendCampaign('aftertest', 1);
    const before = await eventCount();
    await hit(other.mails.get('aftertest1@example.com')!.pixel);
    await until(eventCount, (n) => n > before);
    expect(await eventCount()).toBe(before + 1);
    expect(await events(id)).toEqual([]);
    expect((await t.db.query(`SELECT * FROM campaign_stats WHERE campaign_id = $1`, [id])).rows).toEqual([]);
    // Started, the campaign's own links are what its clicks lead to: the test clicks before cached nothing for them.
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent');
    const recipient = await linksOf(
      (await until(async () => sink.messages.find((m) => m.to[0] === 'drafted1@example.com'), Boolean))!,
    );
    expect((await hit(recipient.clicks[0])).headers.get('location')).toBe('https://shop.example.com/sale');
  });

  it('shows the web view without the open pixel, under a policy that runs no script, and counts no open', async () => {
    const { id, mails } = await sendCampaign('web', 1);
    const mail = mails.get('web1@example.com')!;
    const res = await hit(mail.webView);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('Hello Name1');
    expect(html).not.toContain('/t/o/');
    expect(await events(id)).toEqual([]);
  });

  it('logs a tracking hit as one line with the route pattern, never the token', async () => {
    const { mails } = await sendCampaign('log', 1);
    const mail = mails.get('log1@example.com')!;
    logLines.length = 0;
    await hit(mail.pixel);
    await hit(mail.clicks[0]);
    await hit(`/t/o/${mail.token.slice(1)}x`);
    const lines = () => logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => 'status' in l);
    await until(
      async () => lines().length,
      (n) => n >= 3,
    );
    expect(lines().map((l) => [l.route, l.status])).toEqual([
      ['/t/o/:token', 200],
      ['/t/c/:token.:index', 302],
      ['/t/o/:token', 404],
    ]);
    const text = logLines.join('');
    expect(text).not.toContain(mail.token);
    expect(text).not.toContain(mail.token.slice(1));
  });

  it('makes segments of people who opened, clicked, or received and did not open, machines aside', async () => {
    const { id, mails } = await sendCampaign('seg', 4);
    await deliveredAnHourAgo(id);
    const mail = (n: number) => mails.get(`seg${n}@example.com`)!;
    await hit(mail(1).pixel);
    await hit(mail(2).pixel, { userAgent: 'Mozilla/5.0' });
    await hit(mail(3).clicks[0]);
    await hit(mail(4).clicks[0], { userAgent: 'python-requests/2.31' });
    await until(
      () => events(id),
      (rows) => rows.length === 4,
    );
    const preview = async (op: string, value: Record<string, unknown> = { campaignId: id }) => {
      const res = await t.request<{ count: number; sample: { email: string }[] }>('POST', '/api/v1/segments/preview', {
        body: {
          rules: {
            all: [
              { field: 'engagement', op, value },
              { field: 'email', op: 'startsWith', value: 'seg' },
            ],
          },
        },
      });
      expect(res.status, res.text).toBe(200);
      return res.body.sample.map((c) => c.email.split('@')[0]).sort();
    };
    expect(await preview('opened')).toEqual(['seg1']);
    expect(await preview('clicked')).toEqual(['seg3']);
    expect(await preview('notOpened')).toEqual(['seg2', 'seg3', 'seg4']);
    expect(await preview('notClicked')).toEqual(['seg1', 'seg2', 'seg4']);
    expect(await preview('opened', { withinDays: 1 })).toEqual(['seg1']);
    expect(await preview('opened', { campaignId: '999999' })).toEqual([]);
    const saved = await t.request('POST', '/api/v1/segments', {
      body: { name: 'Openers', rules: { all: [{ field: 'engagement', op: 'opened', value: { campaignId: id } }] } },
    });
    expect(saved.status, saved.text).toBe(201);
    expect((await t.request('GET', `/api/v1/segments/${saved.body.id}`)).body.count).toBe(1);
  });

  it('shows ingestion on /metrics', async () => {
    const res = await t.request('GET', '/metrics');
    expect(res.text).toMatch(/herald_tracking_hits_total\{type="open"\} [1-9]/);
    expect(res.text).toMatch(/herald_tracking_events_written_total\{type="open",machine="true"\} [1-9]/);
    expect(res.text).toMatch(/herald_tracking_hits_dropped_total 0/);
    expect(res.text).toMatch(/herald_tracking_buffered_hits \d/);
  });
});
