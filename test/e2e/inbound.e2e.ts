import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { NestFactory } from '@nestjs/core';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayAppModule } from '../../apps/relay/src/relay-app.module.js';
import { selfSignedCertificate } from '../../libs/delivery/src/index.js';
import { InboundServer } from '../../libs/inbound/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  createAudience,
  createCampaign,
  createSender,
  createTemplate,
  parse,
  report,
  until,
  waitForState,
} from '../support/campaigns.js';
import { deliverInbound } from '../support/inbound.js';
import { rawSmtp } from '../support/raw-smtp.js';
import { type SinkMessage, type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';

const DOMAIN = 'herald-test.example.com';
/** A port nothing listens on: webhook events are only looked at in their table, never received. */
const WEBHOOK_URL = 'http://127.0.0.1:9/hook';

/**
 * The inbound listener over real SMTP: campaign and transactional mail
 * sent into a sink, then the bounces, feedback reports and unsubscribe mail
 * a mailbox provider would send back for it, delivered with nodemailer.
 */
describe('inbound bounces, complaints and unsubscribes', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let inboundPort: number;

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
      withRelay: true,
      env: { HERALD_SCHEDULER_TICK_MS: '200', HERALD_WEBHOOK_ALLOW_HOSTS: '127.0.0.1:9' },
    });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, { fromEmail: `news@${DOMAIN}` });
    inboundPort = t.app.get(InboundServer).port!;
    const hook = await t.request('POST', '/api/v1/webhooks', {
      body: { url: WEBHOOK_URL, eventTypes: ['bounced', 'complained', 'unsubscribed'] },
    });
    expect(hook.status).toBe(201);
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  /** Hands `raw` to the inbound listener (see `deliverInbound`). */
  const deliver = (to: string, raw: Buffer | string, from = '', port = inboundPort, starttls?: ConnectionOptions) =>
    deliverInbound(port, to, raw, { from, starttls });

  /** A fixture with the original message's token and recipient filled in. */
  async function fixture(name: string, token: string, recipient: string, messageId = `m1.${token}`): Promise<Buffer> {
    const text = await readFile(new URL(`../fixtures/inbound/${name}`, import.meta.url), 'utf8');
    return Buffer.from(
      text
        .replaceAll(`m1.TOKEN`, messageId)
        .replaceAll('TOKEN', token)
        .replaceAll('RECIPIENT', recipient)
        .replace(/\r?\n/g, '\r\n'),
    );
  }

  /** The message token of a message the sink got: its VERP return path carries the token's bytes in hex. */
  function tokenOf(message: SinkMessage): string {
    const match = /^bounce\+([0-9a-f]{32})@herald-test\.example\.com$/.exec(message.from);
    expect(match, message.from).not.toBeNull();
    return Buffer.from(match![1], 'hex').toString('base64url');
  }
  const hex = (token: string) => Buffer.from(token, 'base64url').toString('hex');

  const mailTo = (email: string) => {
    const found = sink.messages.filter((m) => m.to[0] === email);
    expect(found, `mail to ${email}`).toHaveLength(1);
    return found[0];
  };

  const messageRow = async (email: string) =>
    (
      await t.db.query<{ id: string; status: string; last_reply: string }>(
        `SELECT id::text, status, last_reply FROM messages WHERE email = $1`,
        [email],
      )
    ).rows[0];
  const suppression = async (email: string) =>
    (await t.db.query<{ reason: string }>(`SELECT reason FROM suppressions WHERE email = $1`, [email])).rows[0]?.reason;
  const contactStatus = async (email: string) =>
    (await t.db.query<{ status: string }>(`SELECT status FROM contacts WHERE email = $1`, [email])).rows[0]?.status;
  const events = async (messageId: string) =>
    (
      await t.db.query<{ type: string; detail: string }>(
        `SELECT type, detail FROM events WHERE message_id = $1 ORDER BY id`,
        [messageId],
      )
    ).rows;
  const webhookEvents = async (type: string, messageId: string) =>
    (
      await t.db.query(`SELECT data FROM webhook_events WHERE type = $1 AND data->>'messageId' = $2`, [type, messageId])
    ).rows.map((r) => r.data as Record<string, unknown>);
  const counts = async () =>
    (
      await t.db.query<{ suppressions: number; events: number }>(
        `SELECT (SELECT count(*)::int FROM suppressions) AS suppressions, (SELECT count(*)::int FROM events) AS events`,
      )
    ).rows[0];

  /** The inbound message the listener's 250 named. */
  async function inbound(response: string) {
    const id = /Kept as inbound message (\d+)/.exec(response)?.[1];
    expect(id, response).toBeDefined();
    const res = await t.request('GET', `/api/v1/inbound/messages/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  let campaignId: string;
  const emails: string[] = [];

  it('sends a campaign whose mail carries VERP return paths and a mailto unsubscribe', async () => {
    const audience = await createAudience(t, 'inbound', 8);
    emails.push(...audience.emails);
    const templateId = await createTemplate(t);
    campaignId = await createCampaign(t, {
      templateId,
      senderIds: [senderId],
      audience: { listIds: [audience.listId] },
    });
    expect((await t.request('POST', `/api/v1/campaigns/${campaignId}/send`)).status).toBe(200);
    await waitForState(t, campaignId, 'sent');
    const parsed = await parse(mailTo(emails[0]));
    const unsubscribe = parsed.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    expect(unsubscribe).toContain(`mailto:unsubscribe+${hex(tokenOf(mailTo(emails[0])))}@${DOMAIN}`);
    expect(await report(t, campaignId)).toMatchObject({ sent: 8 });
  });

  it('turns a DSN with 5.1.1 into a bounced message, a suppressed address and a hard bounce in the report, once', async () => {
    const email = emails[0];
    const returnPath = mailTo(email).from;
    const token = tokenOf(mailTo(email));
    const dsn = await fixture('dsn-hard.eml', token, email);
    const info = await deliver(returnPath, dsn);
    expect(info.response).toMatch(/^250 /);
    const stored = await inbound(info.response);
    expect(stored).toMatchObject({
      kind: 'delivery-status',
      outcome: 'processed',
      effect: 'hard-bounce',
      envelopeFrom: null,
      envelopeTo: [returnPath],
      subject: 'Undelivered Mail Returned to Sender',
    });
    expect(stored.report.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.1' });
    expect(stored.raw).toContain('Diagnostic-Code: smtp; 550 5.1.1');

    const row = await messageRow(email);
    expect(row.status).toBe('bounced');
    expect(row.last_reply).toMatch(/^bounce report: 5\.1\.1 smtp; 550 5\.1\.1/);
    expect(await suppression(email)).toBe('bounced');
    expect(await contactStatus(email)).toBe('bounced');
    expect(await events(row.id)).toEqual([{ type: 'bounce', detail: expect.stringMatching(/^hard: 5\.1\.1 /) }]);
    expect(await webhookEvents('bounced', row.id)).toEqual([
      expect.objectContaining({ email, campaignId, reply: expect.stringMatching(/^bounce report: 5\.1\.1/) }),
    ]);
    const after = await report(t, campaignId);
    expect(after.bounces.hard.count).toBe(1);
    expect(after).toMatchObject({ sent: 7, bounced: 1 });
    expect(after.domains.find((d: { domain: string }) => d.domain === 'example.com')).toMatchObject({
      delivered: 7,
      bounced: 1,
    });

    // The same DSN again, and a second DSN (another Message-ID) for the same bounce: listed, counted once.
    const again = await inbound((await deliver(returnPath, dsn)).response);
    expect(again).toMatchObject({ outcome: 'duplicate', effect: null, reason: expect.stringContaining(stored.id) });
    // Another DSN, to the return path in the base64url form of mail sent before the hex one.
    const other = Buffer.from(dsn.toString('latin1').replace('4A1B2C3D@mx', 'ffff0000@mx'), 'latin1');
    const second = await inbound((await deliver(`bounce+${token}@${DOMAIN}`, other)).response);
    expect(second).toMatchObject({ outcome: 'duplicate', matchedMessageId: row.id });
    expect(await events(row.id)).toHaveLength(1);
    expect(await webhookEvents('bounced', row.id)).toHaveLength(1);
    expect((await report(t, campaignId)).bounces.hard.count).toBe(1);
  });

  it('records a delayed DSN as a soft bounce event only: the address stays', async () => {
    const email = emails[1];
    const token = tokenOf(mailTo(email));
    const info = await deliver(`bounce+${token}@${DOMAIN}`, await fixture('dsn-delayed.eml', token, email));
    expect(await inbound(info.response)).toMatchObject({ outcome: 'processed', effect: 'soft-bounce' });
    const row = await messageRow(email);
    expect(row.status).toBe('sent');
    expect(await suppression(email)).toBeUndefined();
    expect(await contactStatus(email)).toBe('subscribed');
    expect(await events(row.id)).toEqual([{ type: 'bounce', detail: 'soft: 4.2.2 smtp; 452 4.2.2 Mailbox full' }]);
    // The same notification delivered twice is one soft bounce.
    const again = await deliver(`bounce+${token}@${DOMAIN}`, await fixture('dsn-delayed.eml', token, email));
    expect(await inbound(again.response)).toMatchObject({ outcome: 'duplicate' });
    expect(await events(row.id)).toHaveLength(1);
  });

  it('turns an ARF abuse report sent to complaints@ into a complaint in the report and a suppression', async () => {
    const email = emails[2];
    const row = await messageRow(email);
    const token = tokenOf(mailTo(email));
    const arf = await fixture('arf.eml', token, email, `m${row.id}.${token}`);
    const info = await deliver(`complaints@${DOMAIN}`, arf, `fbl-bounces@fbl.mailbox-test.example`);
    const stored = await inbound(info.response);
    expect(stored).toMatchObject({
      kind: 'feedback-report',
      outcome: 'processed',
      effect: 'complaint',
      matchedMessageId: row.id,
      envelopeFrom: 'fbl-bounces@fbl.mailbox-test.example',
    });
    expect(stored.report).toMatchObject({ feedbackType: 'abuse' });
    expect(await suppression(email)).toBe('complained');
    expect(await contactStatus(email)).toBe('complained');
    expect(await events(row.id)).toEqual([{ type: 'complaint', detail: 'abuse' }]);
    expect(await webhookEvents('complained', row.id)).toEqual([
      expect.objectContaining({ email, campaignId, feedbackType: 'abuse' }),
    ]);
    expect((await report(t, campaignId)).complaints.count).toBe(1);

    // Reported a second time, by another loop: listed, not counted again.
    const twice = Buffer.from(arf.toString('latin1').replace('fbl-20261130-0001', 'fbl-20261130-0002'), 'latin1');
    expect(await inbound((await deliver(`complaints@${DOMAIN}`, twice)).response)).toMatchObject({
      outcome: 'duplicate',
    });
    expect((await report(t, campaignId)).complaints.count).toBe(1);
  });

  it('unsubscribes on mail to the List-Unsubscribe mailto address, as one-click does', async () => {
    const email = emails[3];
    const token = tokenOf(mailTo(email));
    const info = await deliver(
      `unsubscribe+${token}@${DOMAIN}`,
      `From: <${email}>\r\nTo: <unsubscribe+${token}@${DOMAIN}>\r\nSubject: unsubscribe\r\n\r\nunsubscribe\r\n`,
      email,
    );
    expect(await inbound(info.response)).toMatchObject({
      kind: 'unsubscribe',
      outcome: 'processed',
      effect: 'unsubscribe',
    });
    expect(await suppression(email)).toBe('unsubscribed');
    expect(await contactStatus(email)).toBe('unsubscribed');
    const row = await messageRow(email);
    expect(await events(row.id)).toEqual([{ type: 'unsubscribe', detail: 'mail' }]);
    expect(await webhookEvents('unsubscribed', row.id)).toEqual([expect.objectContaining({ via: 'mail' })]);
    expect((await report(t, campaignId)).unsubscribes.count).toBe(1);
  });

  it('keeps forged tokens and mail that is no report, lists them, and changes nothing', async () => {
    const before = await counts();
    const email = emails[4];
    const token = tokenOf(mailTo(email));
    const forged = `${token.slice(0, 21)}${token.endsWith('A') ? 'B' : 'A'}`;
    const unmatched = await deliver(`bounce+${forged}@${DOMAIN}`, await fixture('dsn-hard.eml', forged, email));
    expect(await inbound(unmatched.response)).toMatchObject({
      outcome: 'unmatched',
      reason: expect.stringContaining('names no message Herald sent'),
    });
    const garbage = await deliver(`unsubscribe+garbage@${DOMAIN}`, 'Subject: stop\r\n\r\nstop\r\n', email);
    expect(await inbound(garbage.response)).toMatchObject({ kind: 'unsubscribe', outcome: 'unmatched' });
    const outOfOffice = await deliver(`bounce+${token}@${DOMAIN}`, await fixture('not-a-report.eml', token, email));
    const stored = await inbound(outOfOffice.response);
    expect(stored).toMatchObject({
      kind: 'other',
      outcome: 'unparseable',
      reason: 'not a report: the message is text/plain, not multipart/report',
      subject: 'Out of office',
    });
    expect(stored.headers).toContainEqual({ name: 'Auto-Submitted', value: 'auto-replied' });
    // A report at the feedback address that returns no message of Herald's.
    const stranger = await deliver(
      `complaints@${DOMAIN}`,
      await fixture('arf.eml', 'x'.repeat(22), email),
      'a@b.example',
    );
    expect(await inbound(stranger.response)).toMatchObject({ outcome: 'unmatched' });

    expect(await counts()).toEqual(before);
    expect((await messageRow(email)).status).toBe('sent');
    expect(await suppression(email)).toBeUndefined();

    // Listed newest first, pageable, and filtered by outcome.
    const firstPage = await t.request('GET', '/api/v1/inbound/messages?limit=2');
    expect(firstPage.status).toBe(200);
    expect(firstPage.body.items.map((m: { outcome: string }) => m.outcome)).toEqual(['unmatched', 'unparseable']);
    const nextPage = await t.request('GET', `/api/v1/inbound/messages?limit=2&cursor=${firstPage.body.nextCursor}`);
    expect(nextPage.body.items.map((m: { outcome: string }) => m.outcome)).toEqual(['unmatched', 'unmatched']);
    const unmatchedOnly = await t.request('GET', '/api/v1/inbound/messages?outcome=unmatched&limit=100');
    expect(unmatchedOnly.body.items).toHaveLength(3);
    expect((await t.request('GET', '/api/v1/inbound/messages?outcome=lost')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/inbound/messages/999999')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/inbound/messages', { auth: false })).status).toBe(401);
  });

  it('offers STARTTLS as an MX does, without AUTH, and takes a DSN through it', async () => {
    const session = await rawSmtp(inboundPort);
    try {
      const ehlo = await session.command('EHLO mx.mailbox-test.example');
      expect(ehlo.text).toMatch(/^250[- ]STARTTLS$/m);
      expect(ehlo.text).not.toMatch(/AUTH/);
      expect((await session.command('STARTTLS')).code).toBe(220);
      await session.startTls();
      const secured = await session.command('EHLO mx.mailbox-test.example');
      expect(secured.code).toBe(250);
      expect(secured.text).not.toMatch(/AUTH|STARTTLS/);
      expect((await session.command('AUTH PLAIN AGFkYQBzZWNyZXQ=')).code).toBeGreaterThanOrEqual(500);
    } finally {
      session.close();
    }

    // The certificate is self-signed (no files configured): a sending MTA encrypts without verifying it.
    const email = emails[5];
    const token = tokenOf(mailTo(email));
    const info = await deliver(
      `bounce+${token}@${DOMAIN}`,
      await fixture('dsn-hard.eml', token, email),
      '',
      inboundPort,
      {
        rejectUnauthorized: false,
      },
    );
    expect(await inbound(info.response)).toMatchObject({ outcome: 'processed', effect: 'hard-bounce' });
    expect((await messageRow(email)).status).toBe('bounced');
  });

  it('reads plain-text bounces to a return path by the status they quote: qmail 5.1.1 hard, Exim 5.2.2 soft', async () => {
    const hard = emails[6];
    const token = tokenOf(mailTo(hard));
    const qmail = await inbound(
      (await deliver(mailTo(hard).from, await fixture('plain-qmail.eml', token, hard))).response,
    );
    expect(qmail).toMatchObject({
      kind: 'delivery-status',
      outcome: 'processed',
      effect: 'hard-bounce',
      subject: 'failure notice',
      report: { format: 'plain', detail: 'Sorry, no mailbox here by that name. (#5.1.1)' },
    });
    const row = await messageRow(hard);
    expect(row).toMatchObject({
      status: 'bounced',
      last_reply: expect.stringMatching(/^bounce report: Sorry, no mailbox/),
    });
    expect(await suppression(hard)).toBe('bounced');
    expect(await events(row.id)).toEqual([
      { type: 'bounce', detail: 'hard: Sorry, no mailbox here by that name. (#5.1.1)' },
    ]);

    const full = emails[7];
    const exim = await deliver(mailTo(full).from, await fixture('plain-exim.eml', tokenOf(mailTo(full)), full));
    expect(await inbound(exim.response)).toMatchObject({ outcome: 'processed', effect: 'soft-bounce' });
    expect((await messageRow(full)).status).toBe('sent');
    expect(await suppression(full)).toBeUndefined();
    expect(await events((await messageRow(full)).id)).toEqual([
      { type: 'bounce', detail: `soft: 552 5.2.2 <${full}>: Mailbox full, quota exceeded` },
    ]);

    // To a forged return path it is a bounce for no message of Herald's; to a feedback address, or without a status, no bounce at all.
    const forged = `${token.slice(0, 21)}${token.endsWith('A') ? 'B' : 'A'}`;
    const unmatched = await deliver(`bounce+${forged}@${DOMAIN}`, await fixture('plain-qmail.eml', forged, hard));
    expect(await inbound(unmatched.response)).toMatchObject({ kind: 'delivery-status', outcome: 'unmatched' });
    const toPostmaster = await deliver(`postmaster@${DOMAIN}`, await fixture('plain-qmail.eml', token, hard));
    expect(await inbound(toPostmaster.response)).toMatchObject({ kind: 'other', outcome: 'unparseable' });
    // Hard bounces so far: the DSN, the DSN through STARTTLS and the qmail bounce.
    expect((await report(t, campaignId)).bounces.hard.count).toBe(3);
  });

  it('refuses any recipient that is not a return address at an inbound domain: never a relay', async () => {
    for (const to of [`someone@elsewhere.example`, `news@${DOMAIN}`, `bounce+abc@elsewhere.example`]) {
      await expect(deliver(to, 'Subject: hi\r\n\r\nhi\r\n', 'a@b.example'), to).rejects.toMatchObject({
        responseCode: 550,
      });
    }
    // One recipient per transaction: the second is asked to come again.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: inboundPort,
      secure: false,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      envelope: { from: '', to: [`postmaster@${DOMAIN}`, `complaints@${DOMAIN}`] },
      raw: 'Subject: two\r\n\r\nhello\r\n',
    });
    transport.close();
    expect(info.accepted).toEqual([`postmaster@${DOMAIN}`]);
    expect(info.rejectedErrors?.[0]).toMatchObject({ responseCode: 452 });
  });

  it('finds a transactional message by its VERP return path, in whatever case it comes back, and bounces it', async () => {
    const sent = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['buyer@example.com'], subject: 'Receipt', text: 'Thanks' },
    });
    expect(sent.status).toBe(202);
    await until(
      async () => (await t.request('GET', `/api/v1/messages/${sent.body.id}`)).body.recipients[0].status,
      (s) => s === 'sent',
    );
    const token = tokenOf(mailTo('buyer@example.com'));
    // Some servers upper-case the local part of the return path they bounce to.
    const returnPath = mailTo('buyer@example.com').from.toUpperCase();
    expect(returnPath).toBe(`BOUNCE+${hex(token).toUpperCase()}@${DOMAIN.toUpperCase()}`);
    const info = await deliver(returnPath, await fixture('dsn-hard.eml', token, 'buyer@example.com'));
    expect(await inbound(info.response)).toMatchObject({ outcome: 'processed', effect: 'hard-bounce' });
    expect((await t.request('GET', `/api/v1/messages/${sent.body.id}`)).body.recipients[0].status).toBe('bounced');
    expect(await suppression('buyer@example.com')).toBe('bounced');
  });

  it('runs in the relay process too, with the certificate of its files, writing webhook events there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-inbound-tls-'));
    const pair = selfSignedCertificate('mx.herald-test.example.com');
    await writeFile(join(dir, 'cert.pem'), pair.cert);
    await writeFile(join(dir, 'key.pem'), pair.key);
    const relay = await NestFactory.createApplicationContext(
      RelayAppModule.forRoot({
        ...t.config,
        HERALD_RELAY_LISTEN: '0:starttls',
        HERALD_INBOUND_PORT: 0,
        HERALD_INBOUND_MAX_BYTES: 8192,
        HERALD_INBOUND_TLS_CERT_FILE: join(dir, 'cert.pem'),
        HERALD_INBOUND_TLS_KEY_FILE: join(dir, 'key.pem'),
      }),
      { logger: false },
    );
    await relay.init();
    try {
      const port = relay.get(InboundServer).port!;
      expect(port).not.toBe(inboundPort);
      await expect(
        deliver('someone@elsewhere.example', 'Subject: hi\r\n\r\nhi\r\n', 'a@b.example', port),
      ).rejects.toMatchObject({
        responseCode: 550,
      });
      const email = emails[4];
      const token = tokenOf(mailTo(email));
      // Only the configured certificate verifies against its own name.
      const verified = { ca: pair.cert, servername: 'mx.herald-test.example.com' };
      const dsn = await fixture('dsn-hard.eml', token, email);
      const info = await deliver(`bounce+${token}@${DOMAIN}`, dsn, '', port, verified);
      expect(await inbound(info.response)).toMatchObject({ outcome: 'processed', effect: 'hard-bounce' });
      expect(await webhookEvents('bounced', (await messageRow(email)).id)).toHaveLength(1);
      // Past its size limit a message is refused after the data, and nothing is stored.
      const before = (await t.request('GET', '/api/v1/inbound/messages?limit=1')).body.items[0].id;
      const big = `Subject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(200)}`;
      await expect(deliver(`postmaster@${DOMAIN}`, big, '', port)).rejects.toMatchObject({ responseCode: 552 });
      expect((await t.request('GET', '/api/v1/inbound/messages?limit=1')).body.items[0].id).toBe(before);
    } finally {
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
