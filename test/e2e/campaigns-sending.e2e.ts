import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  copiesPerRecipient,
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  parse,
  report,
  until,
  waitForState,
} from '../support/campaigns.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

/**
 * Whole campaigns through the api with its processors, into SMTP sinks that
 * answer as each test tells them.
 */
describe('sending campaigns', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let templateId: string;

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '200' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port);
    templateId = await createTemplate(t);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  const send = async (id: string) => {
    const res = await t.request('POST', `/api/v1/campaigns/${id}/send`);
    expect(res.status, res.text).toBe(200);
  };
  const to = (prefix: string) => sink.messages.filter((m) => m.to[0].startsWith(prefix));

  it('sends a campaign to two overlapping lists exactly once each, without suppressed or unsubscribed contacts', async () => {
    const a = await createAudience(t, 'full', 30);
    const b = await createAudience(t, 'fullb', 0);
    // List b: the last 10 of list a (overlap) and 20 more of its own.
    const extra = Array.from({ length: 20 }, (_, i) => `full${31 + i}@example.com`);
    await t.db.query(
      `WITH c AS (INSERT INTO contacts (email, first_name) SELECT e, 'Extra' FROM unnest($1::text[]) AS e RETURNING id)
       INSERT INTO list_members (list_id, contact_id) SELECT $2, id FROM c`,
      [extra, b.listId],
    );
    await t.db.query(
      `INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM contacts WHERE email = ANY($2::text[])`,
      [b.listId, a.emails.slice(20)],
    );
    const all = [...a.emails, ...extra];
    expect(all).toHaveLength(50);
    // One suppressed address, one unsubscribed contact, one hostile name.
    expect((await t.request('POST', '/api/v1/suppressions', { body: { email: 'full5@example.com' } })).status).toBe(
      201,
    );
    await t.db.query(`UPDATE contacts SET status = 'unsubscribed' WHERE email = 'full6@example.com'`);
    await t.db.query(
      `UPDATE contacts SET first_name = E'Eve\\r\\nBcc: victim@example.com', last_name = E'X\\nX-Evil: 1' WHERE email = 'full7@example.com'`,
    );

    const id = await createCampaign(t, {
      templateId,
      senderIds: [senderId],
      subject: 'Hello {{first_name}}\r\nBcc: injected@example.com',
      audience: { listIds: [a.listId, b.listId] },
    });
    await send(id);
    const done = await waitForState(t, id, 'sent');
    expect(done).toMatchObject({ audience: 48, sent: 48, queued: 0, sending: 0, bounced: 0, skipped: 0 });

    const copies = copiesPerRecipient(to('full'));
    const expected = all.filter((e) => e !== 'full5@example.com' && e !== 'full6@example.com');
    expect([...copies.keys()].sort()).toEqual(expected.sort());
    expect([...copies.values()].every((n) => n === 1)).toBe(true);

    const first = to('full1@')[0];
    expect(first.from).toMatch(/^bounce\+[0-9a-f]{32}@herald-test\.example\.com$/);
    const parsed = await parse(first);
    const header = (name: string) =>
      parsed.headerLines
        .find((h) => h.key === name)
        ?.line.replace(/\r\n[ \t]+/g, ' ')
        .slice(name.length + 1)
        .trim();
    expect(header('list-unsubscribe')).toMatch(/^<http.*\/u\/[A-Za-z0-9_-]{22}>, <mailto:unsubscribe\+/);
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(parsed.messageId).toMatch(/^<m\d+\.[A-Za-z0-9_-]{22}@herald-test\.example\.com>$/);
    expect(parsed.html).toContain('Hello Name1');
    expect(parsed.html).toContain('1 Test Street, Testville');

    // Header injection through the contact's name and the subject ends as clean headers.
    const hostile = to('full7@')[0];
    const head = hostile.raw.toString('utf8').split('\r\n\r\n')[0];
    expect(head).not.toMatch(/^Bcc:/im);
    expect(head).not.toMatch(/^X-Evil:/im);
    const hostileParsed = await parse(hostile);
    expect(hostileParsed.headers.has('bcc')).toBe(false);
    expect(hostileParsed.subject).not.toMatch(/[\r\n]/);
    expect(hostile.to).toEqual(['full7@example.com']);

    // The message counter of this process saw them.
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.text).toMatch(new RegExp(`herald_messages_total\\{outcome="sent",sender="${senderId}"\\} \\d+`));
  });

  it('intersects lists with a segment and leaves out the exclusion segment', async () => {
    const { listId } = await createAudience(t, 'excl', 6);
    const segment = async (rules: unknown) =>
      (await t.request('POST', '/api/v1/segments', { body: { name: 'S', rules } })).body.id as string;
    const segmentId = await segment({
      all: [
        {
          field: 'email',
          op: 'in',
          value: ['excl1@example.com', 'excl2@example.com', 'excl3@example.com', 'excl4@example.com'],
        },
      ],
    });
    const excludeSegmentId = await segment({ any: [{ field: 'email', op: 'eq', value: 'excl2@example.com' }] });
    const id = await createCampaign(t, {
      templateId,
      senderIds: [senderId],
      audience: { listIds: [listId], segmentId, excludeSegmentId },
    });
    await send(id);
    expect(await waitForState(t, id, 'sent')).toMatchObject({ audience: 3, sent: 3 });
    expect([...copiesPerRecipient(to('excl')).keys()].sort()).toEqual([
      'excl1@example.com',
      'excl3@example.com',
      'excl4@example.com',
    ]);
  });

  it('sends through the sandbox inbox when no sender is chosen', async () => {
    const { listId, emails } = await createAudience(t, 'sandboxed', 3);
    const id = await createCampaign(t, { templateId, audience: { listIds: [listId] } });
    await send(id);
    expect(await waitForState(t, id, 'sent')).toMatchObject({ sent: 3 });
    const inbox = await t.request('GET', '/api/v1/sandbox/messages?limit=100');
    expect(inbox.status, inbox.text).toBe(200);
    const recipients = (inbox.body.items as { envelopeTo: string[] }[]).flatMap((m) => m.envelopeTo);
    expect(recipients.filter((r) => r.startsWith('sandboxed')).sort()).toEqual([...emails].sort());
  });

  it('sends test messages now with a [Test] subject, not counted in the report', async () => {
    const { listId } = await createAudience(t, 'testsend', 2);
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    const res = await t.request('POST', `/api/v1/campaigns/${id}/test`, {
      body: { emails: ['qa-one@example.com', 'qa-two@example.com'] },
    });
    expect(res.status, res.text).toBe(200);
    expect(Object.values(res.body.outcomes)).toEqual(['sent', 'sent']);
    const tests = sink.messages.filter((m) => m.to[0].startsWith('qa-'));
    expect(tests).toHaveLength(2);
    expect((await parse(tests[0])).subject).toMatch(/^\[Test\] /);
    const r = await report(t, id);
    expect(r).toMatchObject({ state: 'draft', sent: 0, queued: 0 });
    const bad = await t.request('POST', `/api/v1/campaigns/${id}/test`, { body: { emails: ['nope'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('emails[0]');
  });

  it('pauses and resumes within a second, each recipient getting exactly one copy', async () => {
    const slow = await createSender(t, sink.port, { ratePerSecond: 10 });
    const { listId, emails } = await createAudience(t, 'pause', 30);
    const id = await createCampaign(t, { templateId, senderIds: [slow], audience: { listIds: [listId] } });
    await send(id);
    await until(
      async () => to('pause').length,
      (n) => n >= 5,
    );
    // While it sends, the report shows a rate and when it should finish.
    const progress = await until(
      () => report(t, id),
      (r) => r.ratePerSecond > 0,
    );
    expect(progress.state).toBe('sending');
    expect(Date.parse(progress.expectedFinishAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(progress.audience).toBe(30);
    expect((await t.request('POST', `/api/v1/campaigns/${id}/pause`)).body.state).toBe('paused');
    // Claimed messages go back within about a second; nothing more arrives after that.
    const settled = await until(
      () => report(t, id),
      (r) => r.sending === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const afterPause = to('pause').length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(to('pause').length).toBe(afterPause);
    expect(afterPause).toBeLessThan(30);
    expect(settled.state).toBe('paused');

    expect((await t.request('POST', `/api/v1/campaigns/${id}/resume`)).body.state).toBe('sending');
    await waitForState(t, id, 'sent');
    const copies = copiesPerRecipient(to('pause'));
    expect([...copies.keys()].sort()).toEqual([...emails].sort());
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
  });

  it('cancels within a second: nothing more is sent and nothing twice', async () => {
    const slow = await createSender(t, sink.port, { ratePerSecond: 10 });
    const { listId } = await createAudience(t, 'cancel', 30);
    const id = await createCampaign(t, { templateId, senderIds: [slow], audience: { listIds: [listId] } });
    await send(id);
    await until(
      async () => to('cancel').length,
      (n) => n >= 3,
    );
    expect((await t.request('POST', `/api/v1/campaigns/${id}/cancel`)).body.state).toBe('cancelled');
    await until(
      () => report(t, id),
      (r) => r.sending === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = to('cancel').length;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(to('cancel').length).toBe(after);
    expect(after).toBeLessThan(30);
    const r = await report(t, id);
    expect(r.state).toBe('cancelled');
    expect(r.sent).toBe(after);
    // What was never sent is closed, not left waiting in the queue.
    expect(r.queued).toBe(0);
    expect(r.skipped).toBe(30 - after);
    expect([...copiesPerRecipient(to('cancel')).values()].every((n) => n === 1)).toBe(true);
  });

  it('defers 421/451 replies and delivers them later; the rest goes on', async () => {
    const { listId } = await createAudience(t, 'defer', 6);
    sink.behave('defer1@example.com', 'rcpt-451');
    sink.behave('defer2@example.com', 'rcpt-421');
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    await send(id);
    const deferred = await until(
      () => report(t, id),
      (r) => r.deferred === 2 && r.sent === 4,
    );
    expect(deferred.state).toBe('sending');
    sink.behave('defer1@example.com', 'accept');
    sink.behave('defer2@example.com', 'accept');
    // Make the backoff (a minute at least) due now.
    await t.db.query(`UPDATE messages SET next_attempt_at = now() WHERE campaign_id = $1 AND status = 'deferred'`, [
      id,
    ]);
    const done = await waitForState(t, id, 'sent');
    expect(done).toMatchObject({ sent: 6, deferred: 0 });
    expect(copiesPerRecipient(to('defer')).get('defer1@example.com')).toBe(1);
    const attempts = await t.db.query(`SELECT attempts FROM messages WHERE campaign_id = $1 AND email = $2`, [
      id,
      'defer1@example.com',
    ]);
    expect(attempts.rows[0].attempts).toBe(2);
  });

  it('bounces a 550 and suppresses the address; the rest is unaffected', async () => {
    const { listId } = await createAudience(t, 'bounce', 5);
    sink.behave('bounce3@example.com', 'rcpt-550');
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    await send(id);
    const done = await waitForState(t, id, 'sent');
    expect(done).toMatchObject({ sent: 4, bounced: 1 });
    const suppression = await t.request('GET', '/api/v1/suppressions?email=bounce3@example.com');
    expect(suppression.body.items).toHaveLength(1);
    expect(suppression.body.items[0].reason).toBe('bounced');
    expect(suppression.body.items[0].source).toContain('550');
    const contact = await t.db.query(`SELECT status FROM contacts WHERE email = 'bounce3@example.com'`);
    expect(contact.rows[0].status).toBe('bounced');
  });

  it('records a connection lost after the data as uncertain and never resends it', async () => {
    const { listId } = await createAudience(t, 'drop', 4);
    sink.behave('drop2@example.com', 'drop-after-data');
    const id = await createCampaign(t, { templateId, senderIds: [senderId], audience: { listIds: [listId] } });
    await send(id);
    const done = await waitForState(t, id, 'sent');
    expect(done).toMatchObject({ sent: 3, uncertain: 1 });
    expect(sink.received.filter((m) => m.to[0] === 'drop2@example.com')).toHaveLength(1);
  });

  it('takes out a sender whose login is refused and carries on with the other; with none left it pauses', async () => {
    const authSink = await startSmtpSink({ auth: { user: 'mailer', pass: 'right' } });
    try {
      const broken = await createSender(t, authSink.port, { username: 'mailer', password: 'wrong' });
      const { listId, emails } = await createAudience(t, 'failover', 10);
      const id = await createCampaign(t, {
        templateId,
        senderIds: [broken, senderId],
        audience: { listIds: [listId] },
      });
      await send(id);
      const done = await waitForState(t, id, 'sent');
      expect(done.sent).toBe(10);
      expect([...copiesPerRecipient(to('failover')).keys()].sort()).toEqual([...emails].sort());
      const sender = await t.request('GET', `/api/v1/senders/${broken}`);
      expect(sender.body.disabledReason).toBeTruthy();

      const { listId: other } = await createAudience(t, 'nosender', 3);
      const broken2 = await createSender(t, authSink.port, { username: 'mailer', password: 'wrong' });
      const lone = await createCampaign(t, { templateId, senderIds: [broken2], audience: { listIds: [other] } });
      await send(lone);
      await waitForState(t, lone, 'paused');
      // The claimed messages go back to the queue as the job ends.
      const paused = await until(
        () => report(t, lone),
        (r) => r.sending === 0,
      );
      expect(paused.state).toBe('paused');
      expect(paused.stateReason).toMatch(/sender/i);
      expect(paused).toMatchObject({ sent: 0, sending: 0, queued: 3 });

      // A test send that no sender can carry fails now rather than going out later.
      const broken3 = await createSender(t, authSink.port, { username: 'mailer', password: 'wrong' });
      const draft = await createCampaign(t, { templateId, senderIds: [broken3], audience: { listIds: [other] } });
      const test = await t.request('POST', `/api/v1/campaigns/${draft}/test`, {
        body: { emails: ['qa-x@example.com'] },
      });
      expect(test.status, test.text).toBe(200);
      expect(Object.values(test.body.outcomes)).toEqual(['failed']);
      const left = await t.db.query(`SELECT status FROM messages WHERE campaign_id = $1`, [draft]);
      expect(left.rows).toEqual([{ status: 'failed' }]);
    } finally {
      await authSink.close();
    }
  });
});
