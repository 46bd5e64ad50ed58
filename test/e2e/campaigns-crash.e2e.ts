import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  copiesPerRecipient,
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  until,
  waitForState,
} from '../support/campaigns.js';
import { deleteKeys } from '../support/redis-keys.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { isAlive, startWorkerProcess } from '../support/worker-process.js';

const AUDIENCE = 100;
/**
 * At most this many messages are between their SMTP transaction and its
 * recorded outcome: 2 delivery slots, each with twice the pool size (2) in flight.
 */
const IN_FLIGHT = 8;

/**
 * Postgres is the truth: a worker killed mid-campaign, or Redis losing every
 * key of the installation mid-campaign, ends with every recipient served,
 * and duplicates no more than the transactions in flight at the crash.
 */
describe('campaigns survive crashes', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;
  const workers: ChildProcess[] = [];

  const startWorker = async () => {
    const child = await startWorkerProcess(t, { HERALD_SCHEDULER_TICK_MS: '200', HERALD_SEND_LEASE_SECONDS: '5' });
    workers.push(child);
    return child;
  };

  beforeAll(async () => {
    t = await startTestApp();
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, { ratePerSecond: 60 });
    templateId = await createTemplate(t);
  });

  afterAll(async () => {
    for (const child of workers) if (isAlive(child)) child.kill('SIGKILL');
    await t?.close();
    await sink?.close();
  });

  const audienceReceived = (prefix: string, emails: string[]) => {
    const copies = copiesPerRecipient(sink.messages.filter((m) => m.to[0].startsWith(prefix)));
    expect([...copies.keys()].sort()).toEqual([...emails].sort());
    return [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
  };

  it('finishes after its worker is killed with SIGKILL, with duplicates no more than were in flight', async () => {
    const first = await startWorker();
    const { listId, emails } = await createAudience(t, 'kill', AUDIENCE);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await until(
      async () => sink.messages.filter((m) => m.to[0].startsWith('kill')).length,
      (n) => n >= 30,
    );
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = sink.messages.filter((m) => m.to[0].startsWith('kill')).length;
    expect(atKill).toBeLessThan(AUDIENCE);

    await startWorker();
    const done = await waitForState(t, id, 'sent', 45_000);
    const duplicates = audienceReceived('kill', emails);
    expect(duplicates).toBeLessThanOrEqual(IN_FLIGHT);
    expect(duplicates).toBeLessThanOrEqual(done.reclaimed);
    expect(done.sent + done.uncertain).toBe(AUDIENCE);
  }, 90_000);

  it('pauses, survives a worker restart while paused and resumes with exactly one copy each', async () => {
    for (const child of workers.filter(isAlive)) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    const first = await startWorker();
    const { listId, emails } = await createAudience(t, 'restart', AUDIENCE);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await until(
      async () => sink.messages.filter((m) => m.to[0].startsWith('restart')).length,
      (n) => n >= 30,
    );
    expect((await t.request('POST', `/api/v1/campaigns/${id}/pause`)).body.state).toBe('paused');
    const paused = await until(
      async () => (await t.request('GET', `/api/v1/campaigns/${id}/report`)).body,
      (r) => r.sending === 0,
    );
    expect(paused.queued).toBeGreaterThan(0);
    first.kill('SIGTERM');
    await once(first, 'exit');
    await startWorker();
    expect((await t.request('POST', `/api/v1/campaigns/${id}/resume`)).body.state).toBe('sending');
    const done = await waitForState(t, id, 'sent', 45_000);
    expect(audienceReceived('restart', emails)).toBe(0);
    expect(done).toMatchObject({ sent: AUDIENCE, reclaimed: 0 });
  }, 90_000);

  it('finishes after Redis lost every key of the installation mid-campaign, each recipient once', async () => {
    if (!workers.some(isAlive)) await startWorker();
    const { listId, emails } = await createAudience(t, 'flush', AUDIENCE);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await until(
      async () => sink.messages.filter((m) => m.to[0].startsWith('flush')).length,
      (n) => n >= 30,
    );
    const flushed = await deleteKeys(`${t.config.HERALD_QUEUE_PREFIX}:*`);
    expect(flushed.length).toBeGreaterThan(0);

    const done = await waitForState(t, id, 'sent', 45_000);
    expect(audienceReceived('flush', emails)).toBe(0);
    expect(done).toMatchObject({ sent: AUDIENCE, reclaimed: 0 });
  }, 90_000);
});
