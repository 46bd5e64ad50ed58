import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundServer } from '../../libs/inbound/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  report,
  until,
  waitForState,
} from '../support/campaigns.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { deliverInbound } from '../support/inbound.js';

/**
 * A campaign that hurts its senders' reputation stops itself: too many hard
 * bounces among its recent messages or reported by mail after sending, or
 * too many spam complaints.
 */
describe('the bounce and complaint guard', () => {
  let t: TestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
      withRelay: true,
      env: { HERALD_BOUNCE_GUARD_MIN_SENDS: '50', HERALD_SCHEDULER_TICK_MS: '200' },
    });
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('pauses a campaign whose recent messages bounce past 5 %, says why, and sends nothing more', async () => {
    const senderId = await createSender(t, sink.port, { ratePerSecond: 100 });
    const templateId = await createTemplate(t);
    const { listId, emails } = await createAudience(t, 'bouncy', 300);
    // 9 of the first 50 addresses do not exist: past 5 % once the guard may judge, after 50 sends.
    for (const email of emails.slice(0, 50).filter((_, i) => i % 6 === 0)) sink.behave(email, 'rcpt-550');
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'paused', 30_000);

    const paused = (await t.request('GET', `/api/v1/campaigns/${id}`)).body;
    expect(paused.stateReason).toMatch(
      /Paused automatically: \d+ of the last \d+ messages bounced \(\d+\.\d %, limit 5 %\)/,
    );
    const settled = await report(t, id);
    expect(settled.bounced).toBeGreaterThan(50 * 0.05);
    // Messages already on the wire finish; the rest wait for a person.
    expect(settled.sent + settled.bounced).toBeLessThan(emails.length / 2);
    // Jobs on other workers learn of the pause at their next state check (at most half a second);
    // once the sink has been quiet that long, a sender at 100/s sends nothing more.
    let received = -1;
    while (sink.messages.length !== received) {
      received = sink.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sink.messages.length).toBe(received);
  });

  it('pauses a campaign whose spam complaints pass 0.3 % of what it delivered', async () => {
    const senderId = await createSender(t, sink.port, { ratePerSecond: 20 });
    const templateId = await createTemplate(t);
    const { listId, emails } = await createAudience(t, 'complained', 600);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sending', 10_000);
    // What the inbound feedback-loop processing records for each abuse report (ARF).
    await t.db.query(
      `INSERT INTO campaign_stats (campaign_id, complaints) VALUES ($1, 3)
       ON CONFLICT (campaign_id) DO UPDATE SET complaints = campaign_stats.complaints + 3`,
      [id],
    );
    await waitForState(t, id, 'paused', 30_000);
    const paused = (await t.request('GET', `/api/v1/campaigns/${id}`)).body;
    expect(paused.stateReason).toMatch(/Paused automatically: 3 spam complaints for \d+ delivered messages/);
    expect((await report(t, id)).sent).toBeLessThan(emails.length);
  });

  /** A Postfix DSN saying 550 5.1.1 for the message `message` of the sink, delivered to the inbound listener. */
  async function bounceLater(message: { from: string; to: string[] }): Promise<void> {
    const token = /^bounce\+([^@]+)@/.exec(message.from)![1];
    const dsn = (await readFile(new URL('../fixtures/inbound/dsn-hard.eml', import.meta.url), 'utf8'))
      .replaceAll('TOKEN', token)
      .replaceAll('RECIPIENT', message.to[0])
      .replace(/\r?\n/g, '\r\n');
    const info = await deliverInbound(t.app.get(InboundServer).port!, message.from, dsn);
    expect(info.response).toMatch(/^250 /);
  }

  it('pauses a campaign whose hard bounces reported by mail after sending pass 5 %, and judges a resume afresh', async () => {
    const senderId = await createSender(t, sink.port, { ratePerSecond: 10 });
    const templateId = await createTemplate(t);
    const { listId, emails } = await createAudience(t, 'late', 300);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    // The sink accepts every message: the replies give the bounce window nothing to judge.
    const accepted = await until(
      async () => sink.messages.filter((m) => m.to[0].startsWith('late')),
      (messages) => messages.length >= 60,
      30_000,
    );
    for (const message of accepted.slice(0, 20)) await bounceLater(message);
    await waitForState(t, id, 'paused', 30_000);

    const paused = (await t.request('GET', `/api/v1/campaigns/${id}`)).body;
    expect(paused.stateReason).toMatch(
      /^Paused automatically: 20 of \d+ messages bounced hard, counting bounce reports that came back after sending \(\d+\.\d %, limit 5 %\)/,
    );
    const settled = await report(t, id);
    expect(settled.bounced).toBe(20);
    expect(settled.sent + settled.bounced).toBeLessThan(emails.length);

    // Resumed, it is judged on what comes after: the bounces that paused it do not pause it again.
    expect((await t.request('POST', `/api/v1/campaigns/${id}/resume`)).status).toBe(200);
    const done = await waitForState(t, id, 'sent', 60_000);
    expect(done).toMatchObject({ sent: emails.length - 20, bounced: 20 });
  }, 90_000);
});
