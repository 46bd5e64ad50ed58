import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignScheduler, CampaignStarter } from '../../libs/campaigns/src/index.js';
import { Clock } from '../../libs/common/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  copiesPerRecipient,
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  report,
  until,
  waitForState,
} from '../support/campaigns.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/** The wall-clock time in `zone` at `epochMs`, as `2026-12-01T09:00:05`. */
function localTime(epochMs: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(epochMs);
  const f = Object.fromEntries(parts.map((p) => [p.type, p.value]));
  return `${f.year}-${f.month}-${f.day}T${f.hour}:${f.minute}:${f.second}`;
}

/**
 * The scheduler tick driven by hand (its timer is set to an hour), so that
 * each test decides when a tick happens; delivery jobs run as usual.
 */
describe('campaign scheduler', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;
  let scheduler: CampaignScheduler;

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '3600000' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port);
    templateId = await createTemplate(t);
    scheduler = t.app.get(CampaignScheduler);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('sends a campaign scheduled at a local time in a zone once the tick finds it due', async () => {
    const { listId, emails } = await createAudience(t, 'zoned', 3);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    const at = localTime(Date.now() + 2000, 'Asia/Kolkata');
    const scheduled = await t.request('POST', `/api/v1/campaigns/${id}/schedule`, {
      body: { at, timeZone: 'Asia/Kolkata' },
    });
    expect(scheduled.status, scheduled.text).toBe(200);
    // Kolkata is UTC+05:30 all year.
    const expected = new Date(`${at}+05:30`).toISOString();
    expect(scheduled.body.sendAt).toBe(expected);
    expect(await scheduler.claimDue()).not.toContain(id);
    const claimed = await until(
      () => scheduler.claimDue(),
      (ids) => ids.includes(id),
    );
    expect(claimed).toContain(id);
    await waitForState(t, id, 'sent');
    expect([...copiesPerRecipient(sink.messages).keys()].filter((e) => e.startsWith('zoned')).sort()).toEqual(
      [...emails].sort(),
    );
  });

  it('puts a campaign missed by more than the grace in needs_confirmation; confirm sends it', async () => {
    const { listId } = await createAudience(t, 'late', 2);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    await t.request('POST', `/api/v1/campaigns/${id}/schedule`, { body: { at: '2031-01-01T10:00', timeZone: 'UTC' } });
    // Herald was down for two hours past the time (grace: 60 minutes).
    await t.db.query(`UPDATE campaigns SET send_at = now() - interval '2 hours' WHERE id = $1`, [id]);
    expect(await scheduler.claimDue()).not.toContain(id);
    const waiting = await t.request('GET', `/api/v1/campaigns/${id}`);
    expect(waiting.body.state).toBe('needs_confirmation');
    expect(waiting.body.stateReason).toMatch(/confirm/);
    expect(waiting.body.actions).toContain('confirm');
    const confirmed = await t.request('POST', `/api/v1/campaigns/${id}/confirm`);
    expect(confirmed.status, confirmed.text).toBe(200);
    const done = await waitForState(t, id, 'sent');
    expect(done.sent).toBe(2);
  });

  it('never starts a due campaign twice, whatever the number of concurrent ticks and starts', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { listId } = await createAudience(t, `race${i}x`, 2);
      const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
      await t.request('POST', `/api/v1/campaigns/${id}/schedule`, {
        body: { at: '2031-01-01T10:00', timeZone: 'UTC' },
      });
      ids.push(id);
    }
    await t.db.query(`UPDATE campaigns SET send_at = now() - interval '1 second' WHERE id = ANY($1::bigint[])`, [ids]);
    const starter = t.app.get(CampaignStarter);
    const claims = await Promise.all(Array.from({ length: 8 }, () => scheduler.claimDue()));
    const claimed = claims.flat().filter((id) => ids.includes(id));
    expect(claimed.sort()).toEqual([...ids].sort());
    const starts = await Promise.all([...ids, ...ids].map((id) => starter.start(id)));
    // The start jobs the claims queued may have won some: at most one start per campaign either way.
    expect(starts.filter((s) => s === 'started').length).toBeLessThanOrEqual(ids.length);
    for (const id of ids) {
      const done = await waitForState(t, id, 'sent');
      expect(done).toMatchObject({ audience: 2, sent: 2 });
    }
    for (let i = 0; i < 4; i++) {
      const copies = copiesPerRecipient(sink.messages.filter((m) => m.to[0].startsWith(`race${i}x`)));
      expect([...copies.values()]).toEqual([1, 1]);
    }
  });

  it('waits for quota when the daily limit is spent and resumes by itself the next day', async () => {
    const limited = await createSender(t, sink.port, { dailyLimit: 5, timeZone: 'UTC' });
    const { listId, emails } = await createAudience(t, 'quota', 8);
    const id = await createCampaign(t, { templateId, senderIds: [limited], audience: { listIds: [listId] } });
    const res = await t.request('POST', `/api/v1/campaigns/${id}/send`);
    expect(res.status).toBe(200);
    // The start job is queued by the API; the tick is what resumes quota waits.
    const waiting = await until(
      () => report(t, id),
      (r) => r.waitingForQuotaUntil !== null && r.sending === 0,
    );
    expect(waiting).toMatchObject({ state: 'sending', sent: 5, queued: 3, sending: 0 });
    expect(waiting.stateReason).toMatch(/limit/);
    // Same day: the tick leaves it waiting.
    await scheduler.reconcile();
    expect((await report(t, id)).sent).toBe(5);
    // Tomorrow comes.
    const clock = t.app.get(Clock);
    clock.set(new Date(waiting.waitingForQuotaUntil).getTime() + 1000);
    try {
      await scheduler.reconcile();
      const done = await waitForState(t, id, 'sent');
      expect(done).toMatchObject({ sent: 8, waitingForQuotaUntil: null });
      const copies = copiesPerRecipient(sink.messages.filter((m) => m.to[0].startsWith('quota')));
      expect([...copies.keys()].sort()).toEqual([...emails].sort());
    } finally {
      clock.set(Date.now());
    }
  });
});
