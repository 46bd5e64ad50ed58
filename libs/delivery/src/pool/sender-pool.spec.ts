import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../../../test/support/smtp-sink.js';
import type { SendingSender } from '../senders/sender.js';
import { SenderPool } from './sender-pool.js';

let sink: SmtpSink;
let pool: SenderPool;

const sender = (over: Partial<SendingSender> = {}): SendingSender => ({
  id: '1',
  kind: 'smtp',
  name: 'sink',
  host: '127.0.0.1',
  port: sink.port,
  security: 'none',
  username: null,
  password: null,
  fromEmail: 'news@example.org',
  fromName: null,
  replyTo: null,
  postalAddress: 'Street 1',
  ratePerSecond: 100,
  dailyLimit: null,
  timeZone: 'UTC',
  poolSize: 2,
  dkim: null,
  disabledReason: null,
  ...over,
});

const message = (to: string, size = 0) =>
  Buffer.from(
    `From: <news@example.org>\r\nTo: <${to}>\r\nSubject: test\r\nMessage-ID: <m1.t@example.org>\r\n\r\n` +
      `.dot line\r\n${'x'
        .repeat(76)
        .concat('\r\n')
        .repeat(Math.ceil(size / 78))}end\r\n`,
  );

const send = (to: string, s = sender(), size = 0) =>
  pool.send(s, { from: 'bounce+tok@example.org', to }, message(to, size));

beforeAll(async () => {
  sink = await startSmtpSink();
});

afterEach(async () => {
  await pool?.close();
});

afterAll(async () => {
  await sink?.close();
});

describe('SenderPool', () => {
  it('sends the raw message with its own envelope: 250 is sent', async () => {
    pool = new SenderPool({ socketTimeoutMs: 2000 });
    const outcome = await send('ok@example.com');
    expect(outcome).toEqual({ kind: 'sent', reply: expect.stringMatching(/^250 /) });
    const [got] = await sink.waitFor(1);
    expect(got.from).toBe('bounce+tok@example.org');
    expect(got.to).toEqual(['ok@example.com']);
    expect(got.raw.toString()).toBe(message('ok@example.com').toString());
  });

  it('classifies each answer of the server as the outcome the outbox records', async () => {
    pool = new SenderPool({ socketTimeoutMs: 1500 });
    const cases = {
      'rcpt-421': { kind: 'deferred', reply: expect.stringMatching(/^421 /), slowDown: true },
      'rcpt-451': { kind: 'deferred', reply: expect.stringMatching(/^451 /), slowDown: false },
      'rcpt-454': { kind: 'deferred', reply: expect.stringMatching(/^454 /), slowDown: true },
      'rcpt-550': { kind: 'bounced', reply: '550 No such user here' },
      'data-451': { kind: 'deferred', reply: expect.stringMatching(/^451 /), slowDown: false },
      'data-550': { kind: 'bounced', reply: '550 Message refused' },
      // No answer or a cut connection before the data ended: the server cannot have the message.
      'hang-rcpt': { kind: 'deferred', reply: 'Timeout', slowDown: false },
      'drop-rcpt': { kind: 'deferred', reply: 'Connection closed unexpectedly', slowDown: false },
      // The final dot went out and no reply came: the message may have been delivered.
      'drop-after-data': { kind: 'uncertain', reply: expect.stringContaining('Connection closed unexpectedly') },
      'hang-data': { kind: 'uncertain', reply: expect.stringContaining('Timeout') },
    } as const;
    for (const [behaviour, expected] of Object.entries(cases)) {
      const to = `${behaviour}@example.com`;
      sink.behave(to, behaviour as keyof typeof cases);
      expect({ behaviour, outcome: await send(to) }).toEqual({ behaviour, outcome: expected });
    }
    // The pool is still usable after all of that.
    expect(await send('after@example.com')).toMatchObject({ kind: 'sent' });
    expect(sink.received.filter((m) => m.to[0] === 'drop-after-data@example.com')).toHaveLength(1);
  });

  it('defers a message whose connection was cut in the middle of its data', async () => {
    pool = new SenderPool({ socketTimeoutMs: 3000 });
    sink.behave('cut@example.com', 'drop-during-data');
    // Large enough that the socket cannot take it all before the sink cuts it.
    const outcome = await send('cut@example.com', sender(), 32 * 1024 * 1024);
    expect(outcome).toMatchObject({ kind: 'deferred', slowDown: false });
    expect(sink.received.filter((m) => m.to[0] === 'cut@example.com')).toHaveLength(0);
  });

  it('reuses at most poolSize connections for one sender', async () => {
    pool = new SenderPool();
    const before = sink.connections();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => send(`many${i}@example.com`, sender({ id: '7', poolSize: 3 }))),
    );
    expect(outcomes.every((o) => o.kind === 'sent')).toBe(true);
    expect(sink.connections() - before).toBe(3);
    for (let i = 0; i < 3; i += 1) await send(`more${i}@example.com`, sender({ id: '7', poolSize: 3 }));
    expect(sink.connections() - before).toBe(3);
  });

  it('opens connections ahead of the first messages, never more than poolSize, and the messages use them', async () => {
    pool = new SenderPool();
    const warmed = sender({ id: '8', poolSize: 2 });
    const before = sink.connections();
    await pool.warm(warmed, 5);
    expect(sink.connections() - before).toBe(2);
    await pool.warm(warmed, 2);
    const outcomes = await Promise.all([send('w1@example.com', warmed), send('w2@example.com', warmed)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['sent', 'sent']);
    expect(sink.connections() - before).toBe(2);

    // A server that cannot be reached: warming says nothing; the send reports it.
    const closed = await startSmtpSink();
    await closed.close();
    const down = sender({ id: '16', port: closed.port });
    await expect(pool.warm(down, 2)).resolves.toBeUndefined();
    expect(await send('x@example.com', down)).toMatchObject({
      kind: 'deferred',
      reply: expect.stringMatching(/ECONNREFUSED|connect/i),
    });
  });

  it('fails a send that waited for a connection opened ahead with that connection’s error, without a second attempt', async () => {
    // A server that accepts and never greets: every attempt ends in the greeting timeout.
    const accepted: Socket[] = [];
    const silent = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      pool = new SenderPool({ greetingTimeoutMs: 300 });
      const mute = sender({ id: '17', port: (silent.address() as AddressInfo).port, poolSize: 2 });
      const warming = pool.warm(mute, 2);
      const outcome = await send('late@example.com', mute);
      await warming;
      expect(outcome).toMatchObject({ kind: 'deferred', reply: expect.stringMatching(/greeting/i) });
      expect(accepted.length).toBe(2);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("rebuilds a sender's connections when its settings change, and closes them on request", async () => {
    pool = new SenderPool();
    const other = await startSmtpSink();
    try {
      expect(await send('first@example.com', sender({ id: '9' }))).toMatchObject({ kind: 'sent' });
      expect(await send('moved@example.com', sender({ id: '9', port: other.port }))).toMatchObject({ kind: 'sent' });
      expect((await other.waitFor(1))[0].to).toEqual(['moved@example.com']);
      expect(sink.received.some((m) => m.to[0] === 'moved@example.com')).toBe(false);
      const before = other.connections();
      await pool.close('9');
      expect(await send('again@example.com', sender({ id: '9', port: other.port }))).toMatchObject({ kind: 'sent' });
      expect(other.connections() - before).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('takes a sender out when the server refuses its login, and sends once it is right', async () => {
    const authed = await startSmtpSink({ auth: { user: 'herald', pass: 'right-password' } });
    pool = new SenderPool();
    try {
      const wrong = sender({ id: '11', port: authed.port, username: 'herald', password: 'wrong-password' });
      const outcome = await send('a@example.com', wrong);
      expect(outcome).toMatchObject({
        kind: 'sender_failed',
        reason: expect.stringMatching(/^authentication refused/),
      });
      expect(outcome.reply).toMatch(/535/);
      expect(outcome.reply).not.toContain('wrong-password');
      const none = await send('a@example.com', sender({ id: '12', port: authed.port }));
      expect(none.kind).not.toBe('sent');
      const right = sender({ id: '11', port: authed.port, username: 'herald', password: 'right-password' });
      expect(await send('a@example.com', right)).toMatchObject({ kind: 'sent' });
      expect(authed.messages).toHaveLength(1);
    } finally {
      await authed.close();
    }
  });

  it('sends a sandbox sender to the running sandbox inbox, whatever its row says', async () => {
    pool = new SenderPool({}, { address: () => ({ host: '127.0.0.1', port: sink.port }) });
    const sandbox = sender({ id: '16', kind: 'sandbox', host: 'unused.invalid', port: 1, security: 'tls' });
    expect(await send('sandboxed@example.com', sandbox)).toMatchObject({ kind: 'sent' });
    expect(sink.messages.some((m) => m.to[0] === 'sandboxed@example.com')).toBe(true);
  });

  it('takes a sender out when TLS fails: TLS against a plain port, a certificate that does not verify', async () => {
    pool = new SenderPool({ connectionTimeoutMs: 2000, greetingTimeoutMs: 2000, socketTimeoutMs: 2000 });
    expect(await send('a@example.com', sender({ id: '20', security: 'tls' }))).toMatchObject({
      kind: 'sender_failed',
      reason: expect.stringMatching(/^TLS failed: .*wrong version number/),
    });
    // The sink offers STARTTLS with smtp-server's built-in certificate, which no client should trust.
    expect(await send('a@example.com', sender({ id: '21', security: 'starttls' }))).toMatchObject({
      kind: 'sender_failed',
      reason: expect.stringMatching(/^TLS (failed|refused): .*certificate/),
    });
  });

  it('takes a sender out when the server refuses TLS it requires', async () => {
    const plain = await startSmtpSink({ noStartTls: true });
    pool = new SenderPool();
    try {
      const outcome = await send('a@example.com', sender({ id: '13', port: plain.port, security: 'starttls' }));
      expect(outcome).toMatchObject({ kind: 'sender_failed', reason: expect.stringMatching(/^TLS refused/) });
      expect(plain.received).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });

  it('defers on connection failures and takes the sender out after five in a row', async () => {
    const closed = await startSmtpSink();
    const port = closed.port;
    await closed.close();
    pool = new SenderPool({ maxConnectionFailures: 5, connectionTimeoutMs: 2000 });
    const down = sender({ id: '14', port });
    const outcomes = [];
    for (let i = 0; i < 5; i += 1) outcomes.push(await send(`x${i}@example.com`, down));
    expect(outcomes.slice(0, 4).every((o) => o.kind === 'deferred')).toBe(true);
    expect(outcomes[0].reply).toMatch(/ECONNREFUSED|connect/i);
    expect(outcomes[4]).toMatchObject({
      kind: 'sender_failed',
      reason: expect.stringMatching(/^5 connection failures/),
    });
    // A success in between starts the count again.
    const flaky = sender({ id: '15', port });
    for (let i = 0; i < 4; i += 1) expect(await send('y@example.com', flaky)).toMatchObject({ kind: 'deferred' });
    expect(await send('y@example.com', sender({ id: '15' }))).toMatchObject({ kind: 'sent' });
    expect(await send('y@example.com', flaky)).toMatchObject({ kind: 'deferred' });
  });
});
