import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendersService } from '../../libs/delivery/src/index.js';
import { prepareIncoming, RelayServer, RelayStore } from '../../libs/relay/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { copiesPerRecipient, createSender, until } from '../support/campaigns.js';
import { rawSmtp } from '../support/raw-smtp.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink.js';
import { startWorkerProcess } from '../support/worker-process.js';

const DOMAIN = 'relay-test.example.com';
const FROM = `app@${DOMAIN}`;
const DKIM = { domain: DOMAIN, selector: 'relay' };
const MAX_RECIPIENTS = 3;
const RATE_PER_MINUTE = 8;
const SWAKS = spawnSync('swaks', ['--version']).status === 0;

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * The SMTP relay end to end: real SMTP clients (nodemailer, swaks, a raw
 * socket) into the relay, the worker delivering through a sender into an
 * in-test SMTP server, DKIM checked there by an independent verifier.
 */
describe('SMTP relay', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;
  let starttlsPort: number;
  let tlsPort: number;

  /** A fresh relay-only API key: each test counts its own messages against the per-key limit. */
  async function relayKey(): Promise<string> {
    const res = await t.request('POST', '/api/v1/api-keys', { body: { name: 'relay', scope: 'relay' } });
    expect(res.status).toBe(201);
    expect(res.body.scope).toBe('relay');
    return res.body.key as string;
  }

  const transport = (key: string | null, extra: Record<string, unknown> = {}) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: starttlsPort,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      ...(key === null ? {} : { auth: { user: 'apikey', pass: key } }),
      ...extra,
    });

  const messageTo = async (email: string) => {
    const list = await t.request('GET', '/api/v1/messages?limit=100');
    expect(list.status).toBe(200);
    return (list.body.items as any[]).find((m) => m.recipients.some((r: any) => r.email === email));
  };
  const statusOf = async (email: string) =>
    (await messageTo(email))?.recipients.find((r: any) => r.email === email)?.status as string | undefined;

  beforeAll(async () => {
    t = await startTestApp({
      withWorker: true,
      withRelay: true,
      env: {
        HERALD_RELAY_MAX_BYTES: '100000',
        HERALD_RELAY_MAX_RECIPIENTS: String(MAX_RECIPIENTS),
        HERALD_RELAY_RATE_PER_MINUTE: String(RATE_PER_MINUTE),
        HERALD_RELAY_AUTH_MAX_FAILURES: '3',
        HERALD_RELAY_HOSTNAME: 'relay.herald.test',
        HERALD_SCHEDULER_TICK_MS: '200',
      },
    });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, {
      fromEmail: FROM,
      dkimDomain: DKIM.domain,
      dkimSelector: DKIM.selector,
      dkimGenerate: true,
    });
    const listeners = t.app.get(RelayServer).listeners();
    starttlsPort = listeners.find((l) => l.mode === 'starttls')!.port;
    tlsPort = listeners.find((l) => l.mode === 'tls')!.port;
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  it('takes a message over STARTTLS with an API key and delivers it DKIM-signed, listed with its outcome', async () => {
    const key = await relayKey();
    const info = await transport(key).sendMail({
      from: `App <${FROM}>`,
      to: 'ada@example.com',
      bcc: 'hidden@example.com',
      subject: 'Your receipt',
      text: 'Thank you.',
      html: '<p>Thank you.</p>',
    });
    expect(info.response).toMatch(/^250 /);
    const [delivered] = (await until(
      async () => sink.messages.filter((m) => m.to[0] === 'ada@example.com'),
      (m) => m.length === 1,
    )) as typeof sink.messages;
    // The envelope sender is this recipient's VERP address at the sender's domain: bounces come back to Herald.
    expect(delivered.from).toMatch(new RegExp(`^bounce\\+[0-9a-f]{32}@${FROM.split('@')[1].replace(/\./g, '\\.')}$`));
    const head = delivered.raw.toString('latin1').split('\r\n\r\n')[0];
    expect(head).not.toMatch(/^bcc:/im);

    const sender = (await t.request('GET', `/api/v1/senders/${senderId}`)).body;
    const record = sender.dkimRecord as { name: string; value: string };
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === record.name) return [[record.value]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { results } = await dkimVerify(delivered.raw, { resolver });
    expect(results[0].status.result).toBe('pass');
    expect(results[0].signingDomain).toBe(DKIM.domain);

    await until(
      () => statusOf('hidden@example.com'),
      (s) => s === 'sent',
    );
    const listed = await messageTo('ada@example.com');
    expect(listed).toMatchObject({ source: 'smtp', senderId, envelopeFrom: FROM, from: FROM, subject: 'Your receipt' });
    expect(listed.recipients.map((r: any) => r.status)).toEqual(['sent', 'sent']);
    expect((await t.request('GET', `/api/v1/messages/${listed.id}`)).body.id).toBe(listed.id);
    // A relay key is no key for the HTTP API.
    expect((await t.request('GET', '/api/v1/messages', { auth: key })).status).toBe(401);
  });

  it('stores messages of concurrent clients together, each with its own recipients, and delivers each once', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(async () => transport(await relayKey())));
    const sent = await Promise.all(
      clients.map(async (client, c) => {
        const replies: string[] = [];
        for (let m = 0; m < 2; m++) {
          const to = m === 0 ? [`c${c}m0@example.com`] : [`c${c}m1a@example.com`, `c${c}m1b@example.com`];
          replies.push((await client.sendMail({ from: FROM, to, subject: `c${c} m${m}`, text: 'x' })).response);
        }
        client.close();
        return replies;
      }),
    );
    expect(sent.flat().every((reply) => reply.startsWith('250 '))).toBe(true);
    const addresses = [0, 1, 2, 3].flatMap((c) => [
      `c${c}m0@example.com`,
      `c${c}m1a@example.com`,
      `c${c}m1b@example.com`,
    ]);
    await until(
      async () => sink.messages.filter((m) => addresses.includes(m.to[0])).length,
      (n) => n === addresses.length,
    );
    expect(addresses.map((a) => copiesPerRecipient(sink.messages).get(a))).toEqual(addresses.map(() => 1));
    for (let c = 0; c < 4; c++) {
      const listed = await messageTo(`c${c}m1a@example.com`);
      expect(listed.subject).toBe(`c${c} m1`);
      expect(listed.recipients.map((r: any) => r.email).sort()).toEqual([
        `c${c}m1a@example.com`,
        `c${c}m1b@example.com`,
      ]);
      expect((await messageTo(`c${c}m0@example.com`)).subject).toBe(`c${c} m0`);
    }
  });

  it('takes a message on the implicit TLS port too', async () => {
    const key = await relayKey();
    const info = await transport(key, { port: tlsPort, secure: true, requireTLS: false }).sendMail({
      from: FROM,
      to: 'tls@example.com',
      subject: 'Over TLS',
      text: 'hello',
    });
    expect(info.accepted).toEqual(['tls@example.com']);
    await until(
      () => statusOf('tls@example.com'),
      (s) => s === 'sent',
    );
  });

  // .ci/run installs swaks; elsewhere the test runs where it is installed.
  it.skipIf(!SWAKS)('takes a message from swaks', async () => {
    const key = await relayKey();
    const { stdout } = await promisify(execFile)('swaks', [
      '--server',
      `127.0.0.1:${starttlsPort}`,
      '--tls',
      '--auth',
      'PLAIN',
      '--auth-user',
      'apikey',
      '--auth-password',
      key,
      '--from',
      FROM,
      '--h-From',
      `<${FROM}>`,
      '--to',
      'swaks@example.com',
      '--h-Subject',
      'From swaks',
      '--body',
      'sent by swaks',
    ]);
    expect(stdout).toMatch(/<~\s+250 2\.0\.0 Queued as \d+/);
    await until(
      async () => sink.messages.filter((m) => m.to[0] === 'swaks@example.com').length,
      (n) => n === 1,
    );
  });

  it('relays nothing for a client that did not authenticate', async () => {
    const error = await transport(null)
      .sendMail({ from: FROM, to: 'open@example.com', subject: 'Open?', text: 'x' })
      .catch((e: { responseCode?: number }) => e);
    expect((error as { responseCode?: number }).responseCode).toBe(530);
    expect(await statusOf('open@example.com')).toBeUndefined();
  });

  it('offers AUTH only after STARTTLS and refuses it before', async () => {
    const session = await rawSmtp(starttlsPort);
    const ehlo = await session.command('EHLO client.example.com');
    expect(ehlo.text).toContain('STARTTLS');
    expect(ehlo.text).not.toMatch(/AUTH/);
    const auth = await session.command(`AUTH PLAIN ${Buffer.from(`\0apikey\0${await relayKey()}`).toString('base64')}`);
    expect(auth.code).toBe(538);
    expect((await session.command(`MAIL FROM:<${FROM}>`)).code).toBe(530);
    expect((await session.command('STARTTLS')).code).toBe(220);
    await session.startTls();
    expect((await session.command('EHLO client.example.com')).text).toMatch(/AUTH PLAIN LOGIN/);
    session.close();
  });

  it('refuses an envelope sender or a From field outside the senders’ domains', async () => {
    const key = await relayKey();
    const foreignEnvelope = await transport(key)
      .sendMail({
        envelope: { from: 'ceo@foreign.example.org', to: ['victim1@example.com'] },
        from: FROM,
        to: 'victim1@example.com',
        subject: 'x',
        text: 'x',
      })
      .catch((e: { responseCode?: number; response?: string }) => e);
    expect((foreignEnvelope as { responseCode?: number }).responseCode).toBe(550);
    const foreignFrom = await transport(key)
      .sendMail({
        envelope: { from: FROM, to: ['victim2@example.com'] },
        from: 'ceo@foreign.example.org',
        to: 'victim2@example.com',
        subject: 'x',
        text: 'x',
      })
      .catch((e: { responseCode?: number }) => e);
    expect((foreignFrom as { responseCode?: number }).responseCode).toBe(550);
    expect(await statusOf('victim1@example.com')).toBeUndefined();
    expect(await statusOf('victim2@example.com')).toBeUndefined();
  });

  it('refuses an oversize message with 552 and a recipient past the limit with 452', async () => {
    const key = await relayKey();
    const big = await transport(key)
      .sendMail({ from: FROM, to: 'big@example.com', subject: 'big', text: 'x'.repeat(120_000) })
      .catch((e: { responseCode?: number }) => e);
    expect((big as { responseCode?: number }).responseCode).toBe(552);
    expect(await statusOf('big@example.com')).toBeUndefined();

    const recipients = Array.from({ length: MAX_RECIPIENTS + 1 }, (_, i) => `many${i + 1}@example.com`);
    const info = await transport(key).sendMail({ from: FROM, to: recipients, subject: 'many', text: 'x' });
    expect(info.accepted).toEqual(recipients.slice(0, MAX_RECIPIENTS));
    expect(info.rejected).toEqual([recipients[MAX_RECIPIENTS]]);
    expect((info as unknown as { rejectedErrors: { responseCode: number }[] }).rejectedErrors[0].responseCode).toBe(
      452,
    );
  });

  it('refuses SMTP smuggling: <LF>.<LF> ends no data and the hidden message is never sent', async () => {
    const key = await relayKey();
    const session = await rawSmtp(tlsPort, { implicitTls: true });
    await session.command('EHLO client.example.com');
    expect((await session.command(`AUTH PLAIN ${Buffer.from(`\0apikey\0${key}`).toString('base64')}`)).code).toBe(235);
    expect((await session.command(`MAIL FROM:<${FROM}>`)).code).toBe(250);
    expect((await session.command('RCPT TO:<visible@example.com>')).code).toBe(250);
    expect((await session.command('DATA')).code).toBe(354);
    session.write(
      `From: ${FROM}\r\nTo: visible@example.com\r\nSubject: hi\r\n\r\nhello\n.\n` +
        `MAIL FROM:<${FROM}>\nRCPT TO:<smuggled@example.com>\nDATA\n` +
        `From: ${FROM}\nSubject: smuggled\n\nsmuggled\r\n.\r\n`,
    );
    const answer = await session.reply();
    // One reply for the whole data, and it is a refusal: nothing after <LF>.<LF> ran as a command.
    expect(answer.code).toBe(550);
    expect(answer.text).toMatch(/smuggling/);
    expect((await session.command('NOOP')).code).toBe(250);
    session.close();
    expect(await statusOf('visible@example.com')).toBeUndefined();
    expect(await statusOf('smuggled@example.com')).toBeUndefined();
    expect(sink.received.some((m) => m.to.includes('smuggled@example.com'))).toBe(false);
  });

  it('answers 451 with a retry hint past the per-key rate', async () => {
    // The count starts again each minute: a burst that crossed into the next
    // one proves nothing, and is done again with a fresh key (a fresh count).
    const minute = () => Math.floor(Date.now() / 60_000);
    let results: (number | undefined)[];
    let started: number;
    do {
      started = minute();
      const mailer = transport(await relayKey(), { pool: true, maxConnections: 1 });
      results = [];
      for (let i = 0; i <= RATE_PER_MINUTE; i++) {
        results.push(
          await mailer
            .sendMail({ from: FROM, to: `rate${i}@example.com`, subject: 'rate', text: 'x' })
            .then(() => 250)
            .catch((e: { responseCode?: number; response?: string }) => {
              expect(e.response).toMatch(/try again in \d+ seconds/);
              return e.responseCode;
            }),
        );
      }
      mailer.close();
    } while (minute() !== started);
    expect(results).toEqual([...Array(RATE_PER_MINUTE).fill(250), 451]);
  });

  it('keeps a message taken while the onward server is down, and delivers it once it is back', async () => {
    const port = await freePort();
    await createSender(t, port, { fromEmail: 'alerts@down-test.example.com' });
    const key = await relayKey();
    const info = await transport(key).sendMail({
      from: 'alerts@down-test.example.com',
      to: 'patient@example.com',
      subject: 'Later',
      text: 'x',
    });
    expect(info.response).toMatch(/^250 /);
    await until(
      () => statusOf('patient@example.com'),
      (s) => s === 'deferred',
    );
    const later = await startSmtpSink({ port });
    try {
      // The first retry is a minute away: bring it forward rather than wait.
      await t.db.query(`UPDATE messages SET next_attempt_at = now() WHERE email = 'patient@example.com'`);
      await until(
        () => statusOf('patient@example.com'),
        (s) => s === 'sent',
      );
      expect(copiesPerRecipient(later.messages).get('patient@example.com')).toBe(1);
    } finally {
      await later.close();
    }
  });

  it('mails unsubscribed addresses but skips bounced ones', async () => {
    for (const [email, reason] of [
      ['gone@example.com', 'bounced'],
      ['left@example.com', 'unsubscribed'],
    ]) {
      expect((await t.request('POST', '/api/v1/suppressions', { body: { email, reason } })).status).toBe(201);
    }
    await transport(await relayKey()).sendMail({
      from: FROM,
      to: ['gone@example.com', 'left@example.com'],
      subject: 'Password reset',
      text: 'x',
    });
    await until(
      () => statusOf('left@example.com'),
      (s) => s === 'sent',
    );
    await until(
      () => statusOf('gone@example.com'),
      (s) => s === 'skipped',
    );
    expect(sink.messages.some((m) => m.to.includes('gone@example.com'))).toBe(false);
  });

  it('throttles repeated failed logins from one client, the right key included', async () => {
    const key = await relayKey();
    const login = (pass: string) =>
      transport(null, { auth: { user: 'apikey', pass } })
        .verify()
        .then(() => 235)
        .catch((e: { responseCode?: number }) => e.responseCode);
    for (let i = 0; i < 3; i++) expect(await login(`hk_wrong_${i}`)).toBe(535);
    expect(await login(key)).toBe(454);
  });
});

describe('POST /api/v1/messages', () => {
  let t: TestApp;
  let sink: SmtpSink;
  let senderId: string;

  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_SCHEDULER_TICK_MS: '200' } });
    sink = await startSmtpSink();
    senderId = await createSender(t, sink.port, { fromEmail: 'billing@api-test.example.com' });
  });

  afterAll(async () => {
    await t?.close();
    await sink?.close();
  });

  const body = (extra: Record<string, unknown> = {}) => ({
    senderId,
    to: ['buyer@example.com'],
    subject: 'Invoice 42',
    text: 'Your invoice',
    html: '<p>Your invoice</p>',
    ...extra,
  });

  it('sends once per Idempotency-Key: the same body gets the same message, another body 422', async () => {
    const headers = { 'idempotency-key': 'invoice-42' };
    const first = await t.request('POST', '/api/v1/messages', { body: body(), headers });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ source: 'api', senderId, from: 'billing@api-test.example.com' });
    const again = await t.request('POST', '/api/v1/messages', { body: body(), headers });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await t.request('POST', '/api/v1/messages', { body: body({ subject: 'Invoice 43' }), headers });
    expect(other.status).toBe(422);
    expect(other.body.fields).toHaveProperty('Idempotency-Key');

    await until(
      async () => (await t.request('GET', `/api/v1/messages/${first.body.id}`)).body.recipients[0].status,
      (s) => s === 'sent',
    );
    expect(copiesPerRecipient(sink.messages).get('buyer@example.com')).toBe(1);
    const parsed = sink.messages[0].raw.toString('latin1');
    expect(parsed).toMatch(/^Subject: Invoice 42$/m);
  });

  it('answers concurrent requests with one key with one message', async () => {
    const headers = { 'idempotency-key': 'race-1' };
    const answers = await Promise.all(
      [1, 2, 3].map(() => t.request('POST', '/api/v1/messages', { body: body({ to: ['race@example.com'] }), headers })),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE email = 'race@example.com'`);
    expect(rows[0].n).toBe(1);
  });

  it('sends a stored template rendered with data, without tracking or an unsubscribe footer', async () => {
    const template = await t.request('POST', '/api/v1/templates', {
      body: {
        name: 'Receipt',
        subject: 'Receipt {{order.number}}',
        body: `<mjml><mj-body><mj-section><mj-column>
          <mj-text>Thank you, {{default first_name "customer"}}. Order {{order.number}}: {{order.total}}.</mj-text>
          <mj-button href="https://shop.example.com/orders/{{order.number}}">Your order</mj-button>
        </mj-column></mj-section></mj-body></mjml>`,
      },
    });
    expect(template.status, template.text).toBe(201);
    const sent = await t.request('POST', '/api/v1/messages', {
      body: {
        senderId,
        to: ['receipt@example.com'],
        templateId: template.body.id,
        data: { first_name: 'Ada <b>', order: { number: 'A-1001', total: '42.00 EUR' } },
      },
    });
    expect(sent.status, sent.text).toBe(202);
    expect(sent.body.subject).toBe('Receipt A-1001');
    await until(
      async () => (await t.request('GET', `/api/v1/messages/${sent.body.id}`)).body.recipients[0].status,
      (s) => s === 'sent',
    );
    const raw = sink.messages.find((m) => m.raw.toString('latin1').includes('Receipt A-1001'))!.raw;
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Receipt A-1001');
    expect(mail.html).toContain('Thank you, Ada &lt;b&gt;. Order A-1001: 42.00 EUR.');
    // Links keep their destinations; no pixel, no footer, no List-Unsubscribe: this is no list mail.
    expect(mail.html).toContain('href="https://shop.example.com/orders/A-1001"');
    expect(mail.html).not.toMatch(/\/t\/[oc]\/|Unsubscribe|View in your browser/);
    expect(mail.text).toContain('Thank you, Ada <b>. Order A-1001: 42.00 EUR.');
    expect(mail.headers.has('list-unsubscribe')).toBe(false);

    // A subject given with the template replaces the template's.
    const own = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['receipt@example.com'], templateId: template.body.id, subject: 'Your order', data: {} },
    });
    expect(own.status, own.text).toBe(202);
    expect(own.body.subject).toBe('Your order');

    const both = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['a@example.com'], templateId: template.body.id, text: 'also text' },
    });
    expect(both.status).toBe(400);
    expect(both.body.fields).toEqual({ templateId: 'not with html or text' });
    const unknown = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['a@example.com'], templateId: '999999' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.fields).toEqual({ templateId: 'unknown template' });
    const malformed = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['a@example.com'], templateId: 'abc' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields).toHaveProperty('templateId');
    const dataAlone = await t.request('POST', '/api/v1/messages', { body: body({ data: { a: 1 } }) });
    expect(dataAlone.status).toBe(400);
    expect(dataAlone.body.fields).toEqual({ data: 'only with templateId' });
    const deep = await t.request('POST', '/api/v1/messages', {
      body: {
        senderId,
        to: ['a@example.com'],
        templateId: template.body.id,
        data: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
      },
    });
    expect(deep.status).toBe(400);
    expect(Object.keys(deep.body.fields)[0]).toMatch(/^data\./);
    const noSubject = await t.request('POST', '/api/v1/messages', { body: body({ subject: undefined }) });
    expect(noSubject.status).toBe(400);
    expect(noSubject.body.fields).toHaveProperty('subject');

    const marketing = await t.request('POST', '/api/v1/templates', {
      body: {
        name: 'Newsletter',
        subject: 'News',
        body: '<mjml><mj-body><mj-section><mj-column><mj-text><a href="{{unsubscribe_url}}">Leave</a></mj-text></mj-column></mj-section></mj-body></mjml>',
      },
    });
    const listMail = await t.request('POST', '/api/v1/messages', {
      body: { senderId, to: ['a@example.com'], templateId: marketing.body.id },
    });
    expect(listMail.status).toBe(422);
    expect(listMail.body.fields).toEqual({ templateId: 'uses {{unsubscribe_url}}' });
  });

  it('sends as many recipients as the sender’s daily limit allows and keeps the rest for its next day', async () => {
    const limited = await createSender(t, sink.port, { fromEmail: 'quota@api-test.example.com', dailyLimit: 2 });
    const to = ['quota1@example.com', 'quota2@example.com', 'quota3@example.com'];
    const res = await t.request('POST', '/api/v1/messages', { body: body({ senderId: limited, to }) });
    expect(res.status).toBe(202);
    const recipients = await until(
      async () => (await t.request('GET', `/api/v1/messages/${res.body.id}`)).body.recipients as any[],
      (rs) =>
        rs.filter((r) => r.status === 'sent').length === 2 &&
        rs.some((r) => r.lastReply !== null && r.status === 'queued'),
    );
    const waiting = recipients.find((r) => r.status === 'queued');
    expect(waiting.lastReply).toContain('daily limit');
    expect(waiting.attempts).toBe(0);
    expect(new Date(waiting.nextAttemptAt).getTime()).toBeGreaterThan(Date.now());
    expect(sink.messages.filter((m) => to.includes(m.to[0]))).toHaveLength(2);
  });

  it('names the fields at fault', async () => {
    const noBody = await t.request('POST', '/api/v1/messages', { body: body({ text: undefined, html: undefined }) });
    expect(noBody.status).toBe(400);
    expect(Object.keys(noBody.body.fields)).toEqual(expect.arrayContaining(['html', 'text']));
    const unknownSender = await t.request('POST', '/api/v1/messages', { body: body({ senderId: '999999' }) });
    expect(unknownSender.status).toBe(400);
    expect(unknownSender.body.fields).toHaveProperty('senderId');
    const badTo = await t.request('POST', '/api/v1/messages', { body: body({ to: ['not an address'] }) });
    expect(badTo.status).toBe(400);
    expect(badTo.body.fields).toHaveProperty('to');
    const badKey = await t.request('POST', '/api/v1/messages', {
      body: body(),
      headers: { 'idempotency-key': 'x'.repeat(201) },
    });
    expect(badKey.status).toBe(400);
  });
});

/**
 * Delivery as deployed: the relay stores, a worker in another process
 * delivers. The relay's hint over Redis wakes the worker; Postgres holds
 * the rows, so the worker's tick finds any whose hint never came.
 */
describe('relay delivery by a worker process', () => {
  const DOMAIN = 'hint-test.example.com';
  let t: TestApp;
  let sink: SmtpSink;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    t = await startTestApp({ withRelay: true });
    sink = await startSmtpSink();
    await createSender(t, sink.port, { fromEmail: `app@${DOMAIN}` });
  });

  afterAll(async () => {
    worker?.kill('SIGTERM');
    await t?.close();
    await sink?.close();
  });

  const stopWorker = async () => {
    if (worker === undefined || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  };

  it('delivers on the relay’s hint, with the worker’s own tick ten minutes away', async () => {
    worker = await startWorkerProcess(t, { HERALD_SCHEDULER_TICK_MS: '600000' });
    const key = (await t.request('POST', '/api/v1/api-keys', { body: { name: 'hint', scope: 'relay' } })).body.key;
    const mailer = nodemailer.createTransport({
      host: '127.0.0.1',
      port: t.app.get(RelayServer).listeners()[0].port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'apikey', pass: key as string },
    });
    for (let i = 0; i < 5; i++) {
      await mailer.sendMail({ from: `app@${DOMAIN}`, to: `hinted${i}@example.com`, subject: `n${i}`, text: 'x' });
    }
    mailer.close();
    await until(
      async () => sink.messages.filter((m) => m.to[0].startsWith('hinted')).length,
      (n) => n === 5,
      15_000,
    );
    expect([...copiesPerRecipient(sink.messages).values()].every((n) => n === 1)).toBe(true);
    await stopWorker();
  });

  it('stores several messages in one statement, each with its own recipients’ rows in their order', async () => {
    const [sender] = await t.app.get(SendersService).forDomain(DOMAIN);
    const input = (subject: string, recipients: string[]) => ({
      source: 'api' as const,
      apiKeyId: null,
      userId: null,
      senderId: sender.id,
      envelopeFrom: `app@${DOMAIN}`,
      recipients,
      message: prepareIncoming(Buffer.from(`From: app@${DOMAIN}\r\nSubject: ${subject}\r\n\r\nx\r\n`), new Date()),
      tracking: { opens: false, links: null },
    });
    const stored = await t.app
      .get(RelayStore)
      .acceptMany([
        input('one', ['one@example.com']),
        input('two', ['two-b@example.com', 'two-a@example.com']),
        input('three', ['three@example.com']),
      ]);
    const views = await Promise.all(stored.map((s) => t.app.get(RelayStore).get(s.id)));
    expect(views.map((v) => [v.subject, v.recipients.map((r) => r.email)])).toEqual([
      ['one', ['one@example.com']],
      ['two', ['two-b@example.com', 'two-a@example.com']],
      ['three', ['three@example.com']],
    ]);
    expect(stored.map((s) => s.messageIds)).toEqual(views.map((v) => v.recipients.map((r) => r.id)));
  });

  it('delivers rows whose hint never came on the worker’s tick', async () => {
    // Stored straight through the store: no hint goes out.
    const [sender] = await t.app.get(SendersService).forDomain(DOMAIN);
    const message = prepareIncoming(Buffer.from(`From: app@${DOMAIN}\r\nSubject: quiet\r\n\r\nx\r\n`), new Date());
    const storeWithoutHint = (recipient: string) =>
      t.app.get(RelayStore).accept({
        source: 'api',
        apiKeyId: null,
        userId: null,
        senderId: sender.id,
        envelopeFrom: `app@${DOMAIN}`,
        recipients: [recipient],
        message,
        tracking: { opens: false, links: null },
      });
    await storeWithoutHint('unhinted@example.com');
    worker = await startWorkerProcess(t, { HERALD_SCHEDULER_TICK_MS: '200' });
    // Another row stored after the worker's start-up look: only a tick finds it.
    await storeWithoutHint('ticked@example.com');
    await until(
      async () => sink.messages.filter((m) => ['unhinted@example.com', 'ticked@example.com'].includes(m.to[0])).length,
      (n) => n === 2,
      15_000,
    );
    await stopWorker();
  });
});
