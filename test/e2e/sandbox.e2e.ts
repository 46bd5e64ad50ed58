import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MAX_MESSAGE_BYTES, SandboxInbox, SenderPool, SendersService } from '../../libs/delivery/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('sandbox inbox', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_SANDBOX_MAX_MESSAGES: '3' } });
    port = t.app.get(SandboxInbox).port!;
  });
  afterAll(async () => t?.close());

  const send = async (to: string, subject: string, extra: Record<string, unknown> = {}) => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      return await transport.sendMail({
        from: '"Acme News" <news@acme-mail.example.com>',
        to,
        subject,
        text: `Plain ${subject}`,
        html: `<p onclick="alert(1)">Hello <b>${subject}</b></p>`,
        headers: { 'List-Unsubscribe': '<https://mail.example.org/u/abc>' },
        envelope: { from: 'bounce+abc@acme-mail.example.com', to },
        ...extra,
      });
    } finally {
      transport.close();
    }
  };

  it('listens on loopback on a port of its own, and the sandbox sender delivers there', async () => {
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(1025);
    expect(t.app.get(SandboxInbox).address()?.address).toBe('127.0.0.1');
    const senders = t.app.get(SendersService);
    const [sandbox] = await senders.forSending([await senders.sandboxSenderId()]);
    expect(sandbox).toMatchObject({ kind: 'sandbox', host: '127.0.0.1', port, security: 'none', password: null });
    const verify = await t.request<Record<string, any>>('POST', `/api/v1/senders/${sandbox.id}/verify`);
    expect(verify.body).toMatchObject({ ok: true, stage: 'ready' });
    const view = await t.request<Record<string, any>>('GET', `/api/v1/senders/${sandbox.id}`);
    expect(view.body).toMatchObject({ host: '127.0.0.1', port });
  });

  it('is where the sender pool delivers the sandbox sender', async () => {
    const senders = t.app.get(SendersService);
    const [sandbox] = await senders.forSending([await senders.sandboxSenderId()]);
    const raw = Buffer.from(
      [
        'From: Herald sandbox <newsletter@sandbox.herald.test>',
        'To: pooled@example.org',
        'Subject: Through the pool',
        'Message-ID: <pooled.1@sandbox.herald.test>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Sent by the sender pool.',
        '',
      ].join('\r\n'),
    );
    const pool = t.app.get(SenderPool);
    const outcome = await pool.send(sandbox, { from: 'bounce+t@sandbox.herald.test', to: 'pooled@example.org' }, raw);
    expect(outcome).toMatchObject({ kind: 'sent' });
    await pool.close(sandbox.id);
    const list = await t.request<{ items: Record<string, any>[] }>(
      'GET',
      '/api/v1/sandbox/messages?to=pooled@example.org',
    );
    expect(list.body.items).toMatchObject([
      { subject: 'Through the pool', messageId: '<pooled.1@sandbox.herald.test>' },
    ]);
    expect((await t.request('DELETE', '/api/v1/sandbox/messages')).status).toBe(204);
  });

  it('keeps a message sent to it and gives it back parsed, raw, and by recipient', async () => {
    const info = await send('jane.doe@example.org', 'Spring sale ünïcode');
    expect(info.response).toMatch(/^250 /);

    const list = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      '/api/v1/sandbox/messages',
    );
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const [summary] = list.body.items;
    expect(summary).toMatchObject({
      envelopeFrom: 'bounce+abc@acme-mail.example.com',
      envelopeTo: ['jane.doe@example.org'],
      messageId: info.messageId,
      from: '"Acme News" <news@acme-mail.example.com>',
      to: 'jane.doe@example.org',
      subject: 'Spring sale ünïcode',
    });
    expect(summary.size).toBeGreaterThan(100);
    expect(summary).not.toHaveProperty('html');

    const one = await t.request<Record<string, any>>('GET', `/api/v1/sandbox/messages/${summary.id}`);
    expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    expect(one.body.html).toBe('<p onclick="alert(1)">Hello <b>Spring sale ünïcode</b></p>');
    expect(one.body.text).toContain('Plain Spring sale');
    expect(one.body.headers).toContainEqual({ name: 'List-Unsubscribe', value: '<https://mail.example.org/u/abc>' });
    expect(one.body.headers.map((h: { name: string }) => h.name)).toEqual(
      expect.arrayContaining(['From', 'To', 'Subject', 'Message-ID', 'Date', 'MIME-Version', 'Content-Type']),
    );

    const raw = await t.request('GET', `/api/v1/sandbox/messages/${summary.id}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toBe('message/rfc822');
    expect(raw.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    expect(raw.text).toContain(`Message-ID: ${info.messageId}`);
    expect(raw.text).toContain('List-Unsubscribe: <https://mail.example.org/u/abc>');

    await send('other@example.net', 'For someone else');
    const filtered = await t.request<{ items: Record<string, any>[] }>(
      'GET',
      '/api/v1/sandbox/messages?to=JANE.DOE@example.org',
    );
    expect(filtered.body.items.map((m) => m.subject)).toEqual(['Spring sale ünïcode']);
    const all = await t.request<{ items: Record<string, any>[] }>('GET', '/api/v1/sandbox/messages');
    expect(all.body.items.map((m) => m.subject)).toEqual(['For someone else', 'Spring sale ünïcode']);
  });

  it('keeps only the newest messages, pages newest first, and clears on request', async () => {
    for (const n of [1, 2, 3, 4]) await send('pager@example.org', `Message ${n}`);
    const first = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      '/api/v1/sandbox/messages?limit=2',
    );
    expect(first.body.items.map((m) => m.subject)).toEqual(['Message 4', 'Message 3']);
    const second = await t.request<{ items: Record<string, any>[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/sandbox/messages?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toMatchObject({ items: [{ subject: 'Message 2' }], nextCursor: null });

    expect((await t.request('DELETE', '/api/v1/sandbox/messages')).status).toBe(204);
    const empty = await t.request<{ items: unknown[] }>('GET', '/api/v1/sandbox/messages');
    expect(empty.body.items).toEqual([]);
  });

  it('refuses a message over the size limit and keeps nothing of it', async () => {
    const before = await t.request<{ items: unknown[] }>('GET', '/api/v1/sandbox/messages');
    const huge = 'x'
      .repeat(76)
      .concat('\r\n')
      .repeat(Math.ceil((SANDBOX_MAX_MESSAGE_BYTES + 1024) / 78));
    await expect(send('big@example.org', 'Too big', { text: huge, html: undefined })).rejects.toMatchObject({
      responseCode: 552,
    });
    const after = await t.request<{ items: unknown[] }>('GET', '/api/v1/sandbox/messages');
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('answers 404 and 400 for unknown and malformed ids, and needs authentication', async () => {
    expect((await t.request('GET', '/api/v1/sandbox/messages/987654')).status).toBe(404);
    expect((await t.request('GET', '/api/v1/sandbox/messages/987654/raw')).status).toBe(404);
    const bad = await t.request<Record<string, any>>('GET', '/api/v1/sandbox/messages/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('id');
    expect((await t.request('GET', '/api/v1/sandbox/messages', { auth: false })).status).toBe(401);
  });
});

describe('sandbox inbox switched off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_SANDBOX_ENABLED: 'false' } });
  });
  afterAll(async () => t?.close());

  it('neither listens nor creates a sandbox sender', async () => {
    expect(t.app.get(SandboxInbox).port).toBeUndefined();
    const list = await t.request<{ items: unknown[] }>('GET', '/api/v1/senders');
    expect(list.body.items).toEqual([]);
  });
});
