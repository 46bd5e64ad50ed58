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
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';

const BODY = `<mjml><mj-body><mj-section><mj-column>
  <mj-text><a href="https://shop.example.com/sale">Sale</a></mj-text>
</mj-column></mj-section></mj-body></mjml>`;

/**
 * The event buffer through a Postgres outage: the api reaches Postgres
 * through a TCP proxy the test cuts. Opens (and clicks on messages the
 * process has looked up before) answer at once while it is down, stay in
 * the buffer, and are written once it is back: each exactly once.
 */
describe('tracking through a Postgres outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let sink: SmtpSink;

  const hit = async (path: string) => {
    const started = Date.now();
    const res = await fetch(t.url + path, { headers: { 'user-agent': BROWSER }, redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location'), ms: Date.now() - started };
  };

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    t = await startTestApp({
      withWorker: true,
      // The outage makes every tick and metric collection log a failure: expected here, not worth printing.
      logDestination: { write: () => undefined },
      env: (database) => {
        const url = new URL(database.url);
        url.port = String(proxy.port);
        return { DATABASE_URL: url.toString(), HERALD_SCHEDULER_TICK_MS: '200' };
      },
    });
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await t?.close();
    await proxy?.close();
    await sink?.close();
  });

  it('answers opens and known clicks while Postgres is down, and writes each of them once it is back', async () => {
    const senderId = await createSender(t, sink.port);
    const template = await t.request('POST', '/api/v1/templates', { body: { name: 'T', subject: 'S', body: BODY } });
    const { listId, emails } = await createAudience(t, 'out', 3);
    const id = await createCampaign(t, {
      templateId: template.body.id,
      senderIds: [senderId],
      audience: { listIds: [listId] },
    });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent');
    // t.db goes to Postgres directly, not through the proxy.
    await t.db.query(`UPDATE messages SET sent_at = now() - interval '1 hour' WHERE campaign_id = $1`, [id]);
    const paths = await Promise.all(
      emails.map(async (email) => {
        const html = (await parse(sink.messages.find((m) => m.to[0] === email)!)).html || '';
        return {
          pixel: /https?:\/\/[^"]*(\/t\/o\/[A-Za-z0-9_-]{22})"/.exec(html)![1],
          click: /https?:\/\/[^"]*(\/t\/c\/[A-Za-z0-9_-]{22}\.0)"/.exec(html)![1],
        };
      }),
    );
    // The first recipient clicked once before: this process knows that message and link.
    expect((await hit(paths[0].click)).status).toBe(302);
    await until(
      () => report(t, id),
      (r) => r.clicks.total.count === 1,
    );

    await proxy.down();
    const during = [];
    for (const p of paths) during.push(await hit(p.pixel), await hit(p.pixel));
    during.push(await hit(paths[0].click));
    for (const res of during) {
      expect(res.status).toBeLessThan(400);
      expect(res.ms).toBeLessThan(1000);
    }
    expect(during.at(-1)!.location).toBe('https://shop.example.com/sale');
    // A click on a message this process never looked up cannot be answered without Postgres: 503, not a 404.
    expect((await hit(paths[1].click)).status).toBe(503);
    // Held in the buffer, retried while Postgres is away.
    await until(
      async () => (await t.request('GET', '/metrics', { auth: false })).text,
      (text) => /herald_tracking_flush_failures_total [1-9]/.test(text),
    );
    expect((await t.request('GET', '/metrics', { auth: false })).text).toMatch(/herald_tracking_buffered_hits 7\b/);
    expect(Number((await t.db.query(`SELECT count(*) FROM events WHERE campaign_id = $1`, [id])).rows[0].count)).toBe(
      1,
    );

    await proxy.up();
    const after = await until(
      () => report(t, id),
      (r) => r.opens.total.count === 6 && r.clicks.total.count === 2,
      30_000,
    );
    expect(after).toMatchObject({
      opens: { total: { count: 6 }, human: { count: 6 } },
      uniqueOpens: { total: { count: 3 } },
      clicks: { total: { count: 2 } },
      uniqueClicks: { total: { count: 1 } },
    });
    const rows = await t.db.query<{ type: string; n: string }>(
      `SELECT type, count(*) AS n FROM events WHERE campaign_id = $1 GROUP BY type ORDER BY type`,
      [id],
    );
    expect(rows.rows.map((r) => [r.type, Number(r.n)])).toEqual([
      ['click', 2],
      ['open', 6],
    ]);
    expect((await t.request('GET', '/metrics', { auth: false })).text).toMatch(/herald_tracking_hits_dropped_total 0/);
  });
});
