import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeysService, AuthService } from '../../libs/auth/src/index.js';
import { Db, type OutgoingEvent, OutgoingEvents, REDIS } from '../../libs/common/src/index.js';
import { deliverJobId, WEBHOOK_QUEUE, WebhookQueue } from '../../libs/webhooks/src/webhook-queue.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  parse,
  until,
  waitForState,
} from '../support/campaigns.js';
import { deleteKeys } from '../support/redis-keys.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/** One POST a receiver got. */
interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** An HTTP server on 127.0.0.1 that records every request and answers as `answer` says. */
interface Receiver {
  port: number;
  url: string;
  requests: Received[];
  /** Events received, flattened from every POST, in order. */
  events(): { id: string; type: string; occurredAt: string; data: Record<string, unknown> }[];
  close(): Promise<void>;
}

async function startReceiver(
  answer: (n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 }),
): Promise<Receiver> {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const { status, headers } = answer(requests.length);
      res.writeHead(status, headers).end('receiver says hello');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    events: () => requests.flatMap((r) => JSON.parse(r.body) as ReturnType<Receiver['events']>),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The receiver's check, exactly as the README documents it. */
function verify(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const timestamp = String(headers['herald-timestamp']);
  const given = String(headers['herald-signature']);
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

const RETRY_MS = 300;
const MAX_ATTEMPTS = 3;

describe('outgoing webhooks', () => {
  let t: TestApp;
  let ok: Receiver;
  let flaky: Receiver;
  let down: Receiver;
  let redirecting: Receiver;
  /** Not in the allow-list: nothing may ever reach it. */
  let trap: Receiver;
  let sink: SmtpSink;

  beforeAll(async () => {
    trap = await startReceiver();
    ok = await startReceiver();
    flaky = await startReceiver((n) => ({ status: n <= 2 ? 500 : 204 }));
    down = await startReceiver(() => ({ status: 500 }));
    redirecting = await startReceiver(() => ({ status: 302, headers: { location: trap.url } }));
    t = await startTestApp({
      withWorker: true,
      env: {
        HERALD_SCHEDULER_TICK_MS: '150',
        HERALD_WEBHOOK_ALLOW_HOSTS: [ok, flaky, down, redirecting].map((r) => `127.0.0.1:${r.port}`).join(','),
        HERALD_WEBHOOK_RETRY_MS: String(RETRY_MS),
        HERALD_WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      },
    });
    sink = await startSmtpSink();
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
    for (const r of [ok, flaky, down, redirecting, trap]) await r?.close();
  });

  async function createWebhook(url: string, eventTypes: string[]): Promise<{ id: string; secret: string }> {
    const res = await t.request('POST', '/api/v1/webhooks', { body: { url, eventTypes, description: 'test' } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string };
  }

  /** Publishes events as a producer does: inside one transaction of its own. */
  async function publish(events: OutgoingEvent[]): Promise<void> {
    const outgoing = t.app.get(OutgoingEvents);
    await t.app.get(Db).transaction((tx) => outgoing.publish(tx, events));
  }

  const event = (type: OutgoingEvent['type'], n: number): OutgoingEvent => ({
    type,
    occurredAt: new Date(),
    data: { messageId: String(n), email: `p${n}@example.com` },
  });

  const deliveries = async (id: string) =>
    (await t.request('GET', `/api/v1/webhooks/${id}/deliveries`)).body.items as Record<string, any>[];

  it('refuses bad input with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'http://hooks.example.com/x', eventTypes: ['sent'] }, 'url'],
      [{ url: 'not a url', eventTypes: ['sent'] }, 'url'],
      [{ url: 'https://user:pw@hooks.example.com/x', eventTypes: ['sent'] }, 'url'],
      [{ url: ok.url, eventTypes: ['exploded'] }, 'eventTypes'],
      [{ url: ok.url, eventTypes: [] }, 'eventTypes'],
      [{ url: ok.url }, 'eventTypes'],
      [{ url: ok.url, eventTypes: ['sent'], description: 5 }, 'description'],
      [{ url: ok.url, eventTypes: ['sent'], secret: 'mine' }, 'secret'],
    ];
    for (const [body, field] of cases) {
      const res = await t.request('POST', '/api/v1/webhooks', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(res.body.fields), JSON.stringify(body)).toContain(field);
    }
    expect((await t.request('GET', '/api/v1/webhooks/abc')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/webhooks/999999')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/webhooks')).body.items).toEqual([]);
  });

  it('is for admins only', async () => {
    const userId = await t.app.get(AuthService).createUser('member@example.com', 'a member password 123', 'member');
    const { key } = await t.app.get(ApiKeysService).create(userId, 'member key');
    const res = await t.request('POST', '/api/v1/webhooks', {
      body: { url: ok.url, eventTypes: ['sent'] },
      auth: key,
    });
    expect(res.status).toBe(403);
    expect((await t.request('GET', '/api/v1/webhooks', { auth: key })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/webhooks')).body.items).toEqual([]);
  });

  it('refuses URLs that reach loopback, private, link-local or unspecified addresses', async () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://192.168.1.1/hook',
      'https://224.0.0.1/hook',
      // A host name that resolves to loopback.
      'https://localhost/hook',
      // The right address, but a port the allow-list does not name.
      `http://127.0.0.1:${trap.port}/hook`,
    ]) {
      const res = await t.request('POST', '/api/v1/webhooks', { body: { url, eventTypes: ['sent'] } });
      expect(res.status, url).toBe(400);
      expect(res.body.fields.url, url).toBeDefined();
    }
    const created = await createWebhook(ok.url, ['sent']);
    const patched = await t.request('PATCH', `/api/v1/webhooks/${created.id}`, {
      body: { url: 'https://169.254.169.254/' },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.fields.url).toBeDefined();
    expect((await t.request('GET', `/api/v1/webhooks/${created.id}`)).body.url).toBe(ok.url);
    expect((await t.request('DELETE', `/api/v1/webhooks/${created.id}`)).status).toBe(204);
    expect(trap.requests).toHaveLength(0);
  });

  it('shows the secret once and signs each POST with it over the timestamp and body; a rotated secret signs from then on', async () => {
    const created = await createWebhook(ok.url, ['clicked']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const got = await t.request('GET', `/api/v1/webhooks/${created.id}`);
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(created.secret);
    expect(got.body).toMatchObject({ url: ok.url, eventTypes: ['clicked'], enabled: true, description: 'test' });
    expect((await t.request('GET', '/api/v1/webhooks')).text).not.toContain(created.secret);

    const before = ok.requests.length;
    const test = await t.request('POST', `/api/v1/webhooks/${created.id}/test`);
    expect(test.status, test.text).toBe(200);
    expect(test.body).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200, eventTypes: ['test'] });
    const request = ok.requests[before];
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['herald-delivery']).toBe(test.body.id);
    expect(Math.abs(Number(request.headers['herald-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
    expect(verify(created.secret, request.headers, request.body)).toBe(true);
    // Changing one byte of the body, or the timestamp, breaks it.
    expect(verify(created.secret, request.headers, request.body.replace('test', 'tesT'))).toBe(false);
    expect(
      verify(
        created.secret,
        { ...request.headers, 'herald-timestamp': String(Number(request.headers['herald-timestamp']) - 1) },
        request.body,
      ),
    ).toBe(false);
    expect(JSON.parse(request.body)).toEqual([
      expect.objectContaining({ type: 'test', data: expect.objectContaining({ webhookId: created.id }) }),
    ]);

    const rotated = await t.request('POST', `/api/v1/webhooks/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.secret);
    await t.request('POST', `/api/v1/webhooks/${created.id}/test`);
    const after = ok.requests[ok.requests.length - 1];
    expect(verify(rotated.body.secret, after.headers, after.body)).toBe(true);
    expect(verify(created.secret, after.headers, after.body)).toBe(false);
    expect((await t.request('DELETE', `/api/v1/webhooks/${created.id}`)).status).toBe(204);
  });

  it('batches events committed together into one POST, only of the types the endpoint wants', async () => {
    const hook = await createWebhook(ok.url, ['subscribed']);
    const before = ok.requests.length;
    await publish([
      ...Array.from({ length: 12 }, (_, i) => event('subscribed', i)),
      event('bounced', 99), // not wanted
    ]);
    await until(
      async () => ok.requests.length - before,
      (n) => n >= 1,
    );
    const posts = ok.requests.slice(before);
    expect(posts).toHaveLength(1);
    const events = JSON.parse(posts[0].body) as Record<string, any>[];
    expect(events.map((e) => e.type)).toEqual(Array(12).fill('subscribed'));
    expect(events.map((e) => e.data.messageId)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
    expect(verify(hook.secret, posts[0].headers, posts[0].body)).toBe(true);
    const log = await until(
      () => deliveries(hook.id),
      (d) => d[0]?.status === 'delivered',
    );
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventCount: 12, eventTypes: ['subscribed'], attempts: 1, lastStatus: 200 });
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('retries after 500s with a growing wait until the receiver takes the batch', async () => {
    const hook = await createWebhook(flaky.url, ['opened']);
    await publish([event('opened', 1), event('opened', 2)]);
    const log = await until(
      () => deliveries(hook.id),
      (d) => d[0]?.status === 'delivered',
    );
    expect(log[0]).toMatchObject({ attempts: 3, lastStatus: 204, lastError: null, eventCount: 2 });
    expect(flaky.requests).toHaveLength(3);
    // The same batch each time, signed afresh.
    expect(new Set(flaky.requests.map((r) => r.headers['herald-delivery']))).toEqual(new Set([log[0].id]));
    expect(new Set(flaky.requests.map((r) => r.body)).size).toBe(1);
    for (const r of flaky.requests) expect(verify(hook.secret, r.headers, r.body)).toBe(true);
    // Backoff: the first retry waits at least the base, the second at least twice that.
    const [a, b, c] = flaky.requests.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(RETRY_MS - 20);
    expect(c - b).toBeGreaterThanOrEqual(2 * RETRY_MS - 20);
    const view = (await t.request('GET', `/api/v1/webhooks/${hook.id}`)).body;
    expect(view).toMatchObject({ lastStatus: 204, lastError: null });
  });

  it('gives up after the configured attempts and shows the last status and error', async () => {
    const hook = await createWebhook(down.url, ['clicked']);
    await publish([event('clicked', 1)]);
    const log = await until(
      () => deliveries(hook.id),
      (d) => d[0]?.status === 'failed',
    );
    expect(log[0]).toMatchObject({
      attempts: MAX_ATTEMPTS,
      lastStatus: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: null,
    });
    expect(down.requests).toHaveLength(MAX_ATTEMPTS);
    // Given up means given up: the ticks that follow send nothing more.
    await new Promise((resolve) => setTimeout(resolve, 4 * RETRY_MS));
    expect(down.requests).toHaveLength(MAX_ATTEMPTS);
    expect((await t.request('GET', `/api/v1/webhooks/${hook.id}`)).body).toMatchObject({
      lastStatus: 500,
      lastError: 'HTTP 500',
    });
  });

  it('does not follow a redirect from an allowed receiver to a loopback address', async () => {
    const hook = await createWebhook(redirecting.url, ['sent']);
    await publish([event('sent', 1)]);
    const log = await until(
      () => deliveries(hook.id),
      (d) => d[0]?.status === 'failed',
    );
    expect(redirecting.requests).toHaveLength(MAX_ATTEMPTS);
    expect(log[0]).toMatchObject({ lastStatus: 302 });
    expect(log[0].lastError).toContain('redirects are not followed');
    expect(trap.requests).toHaveLength(0);
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('checks the address again when connecting: a stored URL that now reaches loopback is refused', async () => {
    // As if the URL had passed the check at creation and its name resolved elsewhere since.
    const seal = await createWebhook(ok.url, ['sent']);
    for (const url of [`https://127.0.0.1:${trap.port}/hook`, `https://localhost:${trap.port}/hook`]) {
      await t.db.query('UPDATE webhook_endpoints SET url = $2 WHERE id = $1', [seal.id, url]);
      const before = (await deliveries(seal.id)).length;
      await publish([event('sent', 1)]);
      const log = await until(
        () => deliveries(seal.id),
        (d) => d.length > before && d[0].status === 'failed',
      );
      expect(log[0].lastStatus).toBeNull();
      expect(log[0].lastError, url).toMatch(/^refused: .*(127\.0\.0\.1|::1).* not a public address$/);
    }
    expect(trap.requests).toHaveLength(0);
    expect((await t.request('DELETE', `/api/v1/webhooks/${seal.id}`)).status).toBe(204);
  });

  it('delivers from Postgres what Redis lost and what a dead worker held', async () => {
    const hook = await createWebhook(ok.url, ['opened']);
    // A batch whose job went with a Redis flush, and one a worker claimed and died with.
    const insert = async (status: string, claimedAgo: string | null) =>
      (
        await t.db.query<{ id: string }>(
          `WITH d AS (
             INSERT INTO webhook_deliveries (endpoint_id, event_count, status, claimed_at, attempts)
             VALUES ($1, 1, $2, now() - $3::interval, $4) RETURNING id)
           INSERT INTO webhook_events (endpoint_id, type, data, occurred_at, delivery_id)
           SELECT $1, 'opened', '{"messageId": "1"}', now(), id FROM d RETURNING delivery_id AS id`,
          [hook.id, status, claimedAgo ?? '0 s', claimedAgo === null ? 0 : 1],
        )
      ).rows[0].id;
    // Redis is emptied first: done after the inserts, the deletion (a SCAN, then deletes) could race the
    // tick adding these rows' jobs and leave a job's data with no list pointing to it.
    await deleteKeys(`${t.config.HERALD_QUEUE_PREFIX}:webhooks:*`);
    const lost = await insert('pending', null);
    const held = await insert('sending', '2 minutes');
    const log = await until(
      () => deliveries(hook.id),
      (d) => d.length === 2 && d.every((x) => x.status === 'delivered'),
    );
    expect(log.map((d) => [d.id, d.attempts])).toEqual([
      [held, 2],
      [lost, 1],
    ]);
    const ids = ok.requests.map((r) => r.headers['herald-delivery']);
    expect(ids.filter((id) => id === lost)).toHaveLength(1);
    expect(ids.filter((id) => id === held)).toHaveLength(1);
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('delivers a batch whose job Redis kept without the entry that pointed to it', async () => {
    const hook = await createWebhook(ok.url, ['opened']);
    // Due in an hour, so that no tick adds its job before the test makes it an orphan.
    const id = (
      await t.db.query<{ id: string }>(
        `WITH d AS (
           INSERT INTO webhook_deliveries (endpoint_id, event_count, next_attempt_at)
           VALUES ($1, 1, now() + interval '1 hour') RETURNING id)
         INSERT INTO webhook_events (endpoint_id, type, data, occurred_at, delivery_id)
         SELECT $1, 'opened', '{"messageId": "1"}', now(), id FROM d RETURNING delivery_id AS id`,
        [hook.id],
      )
    ).rows[0].id;
    await t.app.get(WebhookQueue, { strict: false }).deliver(id, 3600_000);
    // What key eviction under maxmemory can leave: the job's hash, and no delayed entry pointing to it.
    const queue = t.app.get<Queue>(getQueueToken(WEBHOOK_QUEUE), { strict: false });
    const redis = t.app.get<Redis>(REDIS, { strict: false });
    expect(await redis.zrem(queue.toKey('delayed'), deliverJobId(id))).toBe(1);
    expect(await queue.getJobState(deliverJobId(id))).toBe('unknown');

    // Due now: the tick's re-add must replace the orphan rather than be ignored because of it.
    await t.db.query('UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1', [id]);
    const log = await until(
      () => deliveries(hook.id),
      (d) => d.length === 1 && d[0].status === 'delivered',
    );
    expect(log.map((d) => [d.id, d.attempts])).toEqual([[id, 1]]);
    expect(ok.requests.filter((r) => r.headers['herald-delivery'] === id)).toHaveLength(1);
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('posts the outcome of transactional messages and a single opt-in sign-up', async () => {
    const hook = await createWebhook(ok.url, ['sent', 'bounced', 'subscribed']);
    const before = ok.events().length;
    const senderId = await createSender(t, sink.port);
    sink.behave('refused@example.com', 'rcpt-550');
    const message = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['receipt@example.com', 'refused@example.com'], subject: 'Receipt', text: 'Thanks' },
    });
    expect(message.status, message.text).toBe(202);

    const listId = (await t.request('POST', '/api/v1/lists', { body: { name: 'Instant' } })).body.id as string;
    const form = await t.request('PUT', `/api/v1/lists/${listId}/form`, {
      body: { enabled: true, senderId, doubleOptIn: false },
    });
    expect(form.status, form.text).toBe(200);
    const signup = await t.request('POST', `/subscribe/${listId}`, {
      auth: false,
      body: { email: 'joiner@example.com' },
      headers: { origin: 'https://www.shop.example' },
    });
    expect(signup.status, signup.text).toBe(202);

    const events = await until(
      async () => ok.events().slice(before),
      (e) => e.length >= 3,
    );
    const byType = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
    expect(byType('sent')).toEqual([
      expect.objectContaining({ email: 'receipt@example.com', campaignId: null, senderId }),
    ]);
    expect(byType('bounced')).toEqual([
      expect.objectContaining({ email: 'refused@example.com', campaignId: null, senderId }),
    ]);
    const contactId = (await t.db.query<{ id: string }>(`SELECT id FROM contacts WHERE email = 'joiner@example.com'`))
      .rows[0].id;
    expect(byType('subscribed')).toEqual([
      expect.objectContaining({ email: 'joiner@example.com', listId, contactId, doubleOptIn: false }),
    ]);
    expect(events).toHaveLength(3);
    expect((await t.request('DELETE', `/api/v1/webhooks/${hook.id}`)).status).toBe(204);
  });

  it('posts the sends, opens, clicks and unsubscribes of a real campaign', async () => {
    const hook = await createWebhook(ok.url, ['sent', 'opened', 'clicked', 'unsubscribed']);
    const before = ok.events().length;
    const senderId = await createSender(t, sink.port);
    const templateId = await createTemplate(t);
    const { listId, emails } = await createAudience(t, 'hooked', 2);
    const campaignId = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    expect((await t.request('POST', `/api/v1/campaigns/${campaignId}/send`)).status).toBe(200);
    await waitForState(t, campaignId, 'sent');
    const [first] = sink.messages.filter((m) => m.to[0] === emails[0]);
    const html = (await parse(first)).html || '';
    const click = /https?:\/\/[^"]*(\/t\/c\/[A-Za-z0-9_-]{22}\.\d+)"/.exec(html)![1];
    expect((await fetch(t.url + click, { redirect: 'manual' })).status).toBe(302);
    const pixel = /https?:\/\/[^"]*(\/t\/o\/[A-Za-z0-9_-]{22})"/.exec(html)![1];
    expect((await fetch(t.url + pixel)).status).toBe(200);
    const unsubscribe = /https?:\/\/[^"]*(\/u\/[A-Za-z0-9_-]{22})"/.exec(html)![1];
    const posted = await fetch(t.url + unsubscribe, {
      method: 'POST',
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(posted.status).toBe(200);

    const events = await until(
      async () => ok.events().slice(before),
      (e) => e.length >= 5,
    );
    const messageIds = (
      await t.db.query('SELECT id FROM messages WHERE campaign_id = $1 ORDER BY email', [campaignId])
    ).rows.map((r: { id: string }) => r.id);
    const sent = events.filter((e) => e.type === 'sent');
    expect(sent.map((e) => e.data.email).sort()).toEqual([...emails].sort());
    expect(sent.map((e) => e.data.messageId).sort()).toEqual([...messageIds].sort());
    expect(sent.every((e) => e.data.campaignId === campaignId)).toBe(true);
    const clicked = events.filter((e) => e.type === 'clicked');
    expect(clicked).toHaveLength(1);
    expect(clicked[0].data).toMatchObject({ email: emails[0], campaignId, linkIndex: 0 });
    const unsubscribed = events.filter((e) => e.type === 'unsubscribed');
    expect(unsubscribed).toHaveLength(1);
    expect(unsubscribed[0].data).toMatchObject({ email: emails[0], campaignId, via: 'one-click' });
    const opened = events.filter((e) => e.type === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0].data).toMatchObject({ email: emails[0], campaignId, machine: expect.any(Boolean) });
    expect(events).toHaveLength(5);
    for (const r of ok.requests.slice(-1)) expect(verify(hook.secret, r.headers, r.body)).toBe(true);
  });
});
