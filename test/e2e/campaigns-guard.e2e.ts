import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  report,
  waitForState,
} from '../support/campaigns.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/**
 * A campaign that hurts its senders' reputation stops itself: too many hard
 * bounces among its recent messages, or too many spam complaints.
 */
describe('the bounce and complaint guard', () => {
  let t: TestApp;
  let sink: SmtpSink;

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
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
});
