import type { ChildProcess } from 'node:child_process';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  copiesPerRecipient,
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  waitForState,
} from '../support/campaigns.js';
import { type SinkProcess, startSinkProcess } from '../support/sink-process.js';
import { isAlive, startWorkerProcess } from '../support/worker-process.js';

const RATE = 40;
const AUDIENCE = 240;
const DKIM = { domain: 'herald-test.example.com', selector: 'rate' };

/**
 * A sender's rate holds across worker processes, measured where it
 * matters: at the receiving server, a process of its own. Two workers share one campaign; in
 * every sliding second after the first, the sink receives the set rate
 * within ±10 %. The same mail carries a DKIM signature an independent
 * verifier accepts against the record the API tells the marketer to publish.
 */
describe('a sender’s rate across two worker processes', () => {
  let t: TestApp;
  let sink: SinkProcess;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    sink = await startSinkProcess();
    for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(t, { HERALD_SCHEDULER_TICK_MS: '200' }));
  });

  afterAll(async () => {
    for (const child of workers) if (isAlive(child)) child.kill('SIGKILL');
    await t?.close();
    await sink?.close();
  });

  it('holds the set rate within ±10 % in every sliding second, DKIM-signed, each recipient once', async () => {
    const senderId = await createSender(t, sink.port, {
      ratePerSecond: RATE,
      poolSize: 2,
      dkimDomain: DKIM.domain,
      dkimSelector: DKIM.selector,
      dkimGenerate: true,
    });
    const sender = (await t.request('GET', `/api/v1/senders/${senderId}`)).body;
    const templateId = await createTemplate(t);
    const { listId, emails } = await createAudience(t, 'rate', AUDIENCE);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${id}/send`)).status).toBe(200);
    await waitForState(t, id, 'sent', 60_000);
    await sink.waitFor(AUDIENCE);

    const received = sink.messages.filter((m) => m.to[0].startsWith('rate'));
    expect([...copiesPerRecipient(received).entries()].every(([, n]) => n === 1)).toBe(true);
    expect(received.length).toBe(emails.length);

    const report = (await t.request('GET', `/api/v1/campaigns/${id}/report`)).body;
    expect(report.sent).toBe(AUDIENCE);

    const times = received.map((m) => m.at).sort((a, b) => a - b);
    const first = times[0];
    const last = times[times.length - 1];
    const inWindow = (start: number) => times.filter((at) => at >= start && at < start + 1000).length;
    const counts: number[] = [];
    // Windows starting on an arrival hold the most; those starting just after one hold the fewest.
    for (const at of times) {
      for (const start of [at, at + 1]) {
        if (start >= first + 1000 && start + 1000 <= last) counts.push(inWindow(start));
      }
    }
    expect(counts.length).toBeGreaterThan(50);
    // Never faster than the rate in any sliding second: what a provider holds the sender to.
    expect(Math.max(...counts)).toBeLessThanOrEqual(RATE * 1.1);
    // And the rate is used: no second falls below it minus 10 %. A failure names the widest gaps between arrivals.
    const gaps = times
      .slice(1)
      .map((at, i) => ({ gapMs: at - times[i], afterFirstMs: times[i] - first }))
      .sort((a, b) => b.gapMs - a.gapMs);
    expect(Math.min(...counts), JSON.stringify(gaps.slice(0, 5))).toBeGreaterThanOrEqual(RATE * 0.9);

    const record = sender.dkimRecord as { name: string; value: string };
    expect(record.name).toBe(`${DKIM.selector}._domainkey.${DKIM.domain}`);
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === record.name) return [[record.value]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    for (const message of received.slice(0, 5)) {
      const { results } = await dkimVerify(message.raw, { resolver });
      expect(results[0].status.result).toBe('pass');
      expect(results[0].signingDomain).toBe(DKIM.domain);
      const head = message.raw
        .toString('utf8')
        .split('\r\n\r\n')[0]
        .replace(/\r\n[ \t]+/g, ' ');
      const signed = (/DKIM-Signature:[^\r\n]*?\bh=([^;]+);/i.exec(head)?.[1] ?? '').toLowerCase().replace(/\s/g, '');
      for (const header of ['from', 'subject', 'list-unsubscribe', 'list-unsubscribe-post']) {
        expect(signed).toContain(header);
      }
    }
  });
});
