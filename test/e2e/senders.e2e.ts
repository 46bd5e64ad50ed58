import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendersService } from '../../libs/delivery/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

const PASSWORD = 'sm7p-pa55word-never-shown';

/** An SMTP server that accepts `mailer` / PASSWORD in plain text and offers no STARTTLS. */
async function authenticatingServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === PASSWORD) callback(null, { user: 'mailer' });
      else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const rsaPem = () =>
  generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('senders', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof authenticatingServer>>;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  const lines: string[] = [];

  beforeAll(async () => {
    smtp = await authenticatingServer();
    silent = await silentServer();
    t = await startTestApp({
      env: { LOG_LEVEL: 'info', HERALD_SMTP_VERIFY_TIMEOUT_MS: '400' },
      logDestination: { write: (line) => lines.push(line) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await silent?.close();
  });

  const valid = (extra: Record<string, unknown> = {}) => ({
    name: 'Acme via local SMTP',
    host: '127.0.0.1',
    port: smtp.port,
    security: 'none',
    username: 'mailer',
    password: PASSWORD,
    fromEmail: 'news@acme-mail.example.com',
    fromName: 'Acme News',
    postalAddress: '1 Main Street\nSpringfield',
    ratePerSecond: 2.5,
    dailyLimit: 1000,
    timeZone: 'Europe/Paris',
    poolSize: 3,
    ...extra,
  });
  const create = (body: Record<string, unknown>) => t.request<Record<string, any>>('POST', '/api/v1/senders', { body });

  it('gives a fresh install the sandbox sender, once, even when processes start together', async () => {
    const list = await t.request<{ items: Record<string, any>[] }>('GET', '/api/v1/senders');
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const [sandbox] = list.body.items;
    expect(sandbox).toMatchObject({
      kind: 'sandbox',
      name: 'Sandbox inbox',
      fromEmail: 'newsletter@sandbox.herald.test',
      ratePerSecond: 50,
      dailyLimit: null,
      security: 'none',
      hasPassword: false,
    });
    const senders = t.app.get(SendersService);
    await Promise.all([1, 2, 3, 4].map(() => senders.seedSandboxSender()));
    expect(await Promise.all([1, 2, 3].map(() => senders.sandboxSenderId()))).toEqual([
      sandbox.id,
      sandbox.id,
      sandbox.id,
    ]);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM senders WHERE kind = 'sandbox'`);
    expect(rows[0].n).toBe(1);
  });

  it('stores the password and DKIM key encrypted, and never returns or logs them', async () => {
    lines.length = 0;
    const pem = rsaPem();
    const res = await create(
      valid({ dkimDomain: 'acme-mail.example.com', dkimSelector: 'herald', dkimPrivateKey: pem }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      kind: 'smtp',
      hasPassword: true,
      hasDkimKey: true,
      ratePerSecond: 2.5,
      timeZone: 'Europe/Paris',
      disabledReason: null,
      dkimRecord: { type: 'TXT', name: 'herald._domainkey.acme-mail.example.com' },
    });
    expect(res.body.dkimRecord.value).toBe(`v=DKIM1; k=rsa; p=${res.body.dkimPublicKey}`);
    expect(res.body).not.toHaveProperty('password');
    expect(res.body).not.toHaveProperty('dkimPrivateKey');
    const keyBody = pem.split('\n')[5];
    for (const text of [res.text, (await t.request('GET', `/api/v1/senders/${res.body.id}`)).text]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(keyBody);
    }
    const { rows } = await t.db.query(
      `SELECT password_encrypted, dkim_private_key_encrypted FROM senders WHERE id = $1`,
      [res.body.id],
    );
    expect(rows[0].password_encrypted.toString('latin1')).not.toContain(PASSWORD);
    expect(rows[0].dkim_private_key_encrypted.toString('latin1')).not.toContain(keyBody);

    // The sending path gets them back.
    const [sending] = await t.app.get(SendersService).forSending([res.body.id]);
    expect(sending.password).toBe(PASSWORD);
    expect(sending.dkim).toMatchObject({ domain: 'acme-mail.example.com', selector: 'herald' });
    expect(sending.dkim!.privateKey).toContain(keyBody);

    // A request that fails validation carries the secrets too: still nothing in the log.
    await create(valid({ fromName: 'bad\r\nname', password: `${PASSWORD}-2` }));
    await expect.poll(() => lines.some((l) => l.includes('"route":"/api/v1/senders"'))).toBe(true);
    const log = lines.join('');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(keyBody);
  });

  it('generates a DKIM key in Herald and gives the records to publish', async () => {
    const res = await create(valid({ dkimDomain: 'acme-mail.example.com', dkimSelector: 's2026', dkimGenerate: true }));
    expect(res.status).toBe(201);
    expect(res.body.hasDkimKey).toBe(true);
    expect(res.body.dkimPublicKey).toMatch(/^MIIBIjAN[A-Za-z0-9+/=]+$/);

    const dns = await t.request<Record<string, any>>('GET', `/api/v1/senders/${res.body.id}/dns`);
    expect(dns.status).toBe(200);
    expect(dns.body).toMatchObject({
      domain: 'acme-mail.example.com',
      spf: { type: 'TXT', name: 'acme-mail.example.com', value: 'v=spf1 ip4:127.0.0.1 ~all' },
      dkim: { name: 's2026._domainkey.acme-mail.example.com', value: `v=DKIM1; k=rsa; p=${res.body.dkimPublicKey}` },
      dmarc: {
        name: '_dmarc.acme-mail.example.com',
        value: 'v=DMARC1; p=none; rua=mailto:dmarc-reports@acme-mail.example.com',
      },
    });
    const noDkim = await create(valid({ host: 'smtp.acme-mail.example.com' }));
    const dns2 = await t.request<Record<string, any>>('GET', `/api/v1/senders/${noDkim.body.id}/dns`);
    expect(dns2.body.dkim).toBeNull();
    expect(dns2.body.spf.value).toBe('v=spf1 a:smtp.acme-mail.example.com ~all');
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ fromName: 'Acme\r\nBcc: everyone@example.com' }, 'fromName'],
      [{ name: 'two\nlines' }, 'name'],
      [{ fromEmail: 'news@example.com\r\nBcc: x@example.com' }, 'fromEmail'],
      [{ fromEmail: 'not-an-address' }, 'fromEmail'],
      [{ replyTo: 'nobody' }, 'replyTo'],
      [{ username: 'mailer\r\nRSET' }, 'username'],
      [{ host: 'smtp example com' }, 'host'],
      [{ postalAddress: '' }, 'postalAddress'],
      [{ postalAddress: undefined }, 'postalAddress'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
      [{ ratePerSecond: 0 }, 'ratePerSecond'],
      [{ ratePerSecond: -1 }, 'ratePerSecond'],
      [{ poolSize: 0 }, 'poolSize'],
      [{ poolSize: 51 }, 'poolSize'],
      [{ dailyLimit: 0 }, 'dailyLimit'],
      [{ port: 70000 }, 'port'],
      [{ security: 'ssl' }, 'security'],
      [{ port: 465, security: 'starttls' }, 'security'],
      [{ dkimDomain: 'acme-mail.example.com', dkimSelector: 'x' }, 'dkimPrivateKey'],
      [{ dkimDomain: 'acme-mail.example.com', dkimSelector: 'x', dkimPrivateKey: 'not a key' }, 'dkimPrivateKey'],
      [
        {
          dkimDomain: 'acme-mail.example.com',
          dkimSelector: 'x',
          dkimPrivateKey: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
        'dkimPrivateKey',
      ],
      [{ dkimSelector: 'x', dkimGenerate: true }, 'dkimDomain'],
      [{ dkimDomain: 'not a domain', dkimSelector: 'x', dkimGenerate: true }, 'dkimDomain'],
      [{ dkimDomain: 'acme-mail.example.com', dkimSelector: 'bad selector', dkimGenerate: true }, 'dkimSelector'],
      [{ kind: 'sandbox' }, 'kind'],
    ];
    for (const [change, field] of cases) {
      const res = await create(valid(change));
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(Object.keys(res.body.fields ?? {}), JSON.stringify(change)).toContain(field);
    }
    const before = await t.db.query(`SELECT count(*)::int AS n FROM senders`);
    expect((await create(valid({ port: 465, security: undefined }))).body.security).toBe('tls');
    const after = await t.db.query(`SELECT count(*)::int AS n FROM senders`);
    expect(after.rows[0].n).toBe(before.rows[0].n + 1);
  });

  it('updates a sender, keeps secrets unless replaced, and puts a disabled sender back in service', async () => {
    const { body: sender } = await create(
      valid({ dkimDomain: 'acme-mail.example.com', dkimSelector: 'a', dkimGenerate: true }),
    );
    const senders = t.app.get(SendersService);
    await senders.disable(sender.id, '535 5.7.8 Authentication credentials invalid');
    const disabled = await t.request<Record<string, any>>('GET', `/api/v1/senders/${sender.id}`);
    expect(disabled.body.disabledReason).toBe('535 5.7.8 Authentication credentials invalid');
    expect((await senders.forSending([sender.id]))[0].disabledReason).toContain('535');

    const patched = await t.request<Record<string, any>>('PATCH', `/api/v1/senders/${sender.id}`, {
      body: { fromName: 'Acme Weekly', dkimSelector: 'b' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      fromName: 'Acme Weekly',
      hasPassword: true,
      hasDkimKey: true,
      dkimSelector: 'b',
      dkimPublicKey: sender.dkimPublicKey,
      disabledReason: null,
      disabledAt: null,
    });
    const [sending] = await senders.forSending([sender.id]);
    expect(sending).toMatchObject({ password: PASSWORD, disabledReason: null, dkim: { selector: 'b' } });

    const cleared = await t.request<Record<string, any>>('PATCH', `/api/v1/senders/${sender.id}`, {
      body: { password: null, dkimDomain: null, dkimSelector: null, port: 465 },
    });
    expect(cleared.body).toMatchObject({ hasPassword: false, hasDkimKey: false, dkimRecord: null, security: 'tls' });
    const bad = await t.request<Record<string, any>>('PATCH', `/api/v1/senders/${sender.id}`, {
      body: { replyTo: 'x\r\ny@example.com' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty('replyTo');

    const sandboxId = await senders.sandboxSenderId();
    const sandboxHost = await t.request<Record<string, any>>('PATCH', `/api/v1/senders/${sandboxId}`, {
      body: { host: 'smtp.example.com' },
    });
    expect(sandboxHost.status).toBe(400);
    expect(sandboxHost.body.fields).toHaveProperty('host');
    const sandboxName = await t.request<Record<string, any>>('PATCH', `/api/v1/senders/${sandboxId}`, {
      body: { postalAddress: '2 Real Road, Realtown' },
    });
    expect(sandboxName.body).toMatchObject({ kind: 'sandbox', postalAddress: '2 Real Road, Realtown' });
  });

  it('takes a sender out when its stored secret no longer opens, rather than send without it', async () => {
    const { body: sender } = await create(valid({ name: 'Sealed' }));
    // As if the app secret changed: the sealed bytes no longer authenticate.
    await t.db.query(
      `UPDATE senders SET password_encrypted = set_byte(password_encrypted, 20, get_byte(password_encrypted, 20) # 1) WHERE id = $1`,
      [sender.id],
    );
    const [sending] = await t.app.get(SendersService).forSending([sender.id]);
    expect(sending.password).toBeNull();
    expect(sending.disabledReason).toMatch(/cannot be decrypted/);
  });

  it('offers the contract sending needs: ordered lookups, 404 and 400 naming senderIds', async () => {
    const a = (await create(valid({ name: 'A' }))).body.id as string;
    const b = (await create(valid({ name: 'B' }))).body.id as string;
    const senders = t.app.get(SendersService);
    expect((await senders.forSending([b, a])).map((s) => s.name)).toEqual(['B', 'A']);
    await expect(senders.forSending([a, '999999'])).rejects.toMatchObject({
      kind: 'not_found',
      fields: { senderIds: expect.stringContaining('999999') },
    });
    await expect(senders.forSending(['abc'])).rejects.toMatchObject({
      kind: 'invalid',
      fields: { senderIds: expect.any(String) },
    });
    const pool = t.app.get((await import('../../libs/common/src/index.js')).Db);
    await pool.transaction((tx) => senders.requireExist(tx, [a, b]));
    await expect(pool.transaction((tx) => senders.requireExist(tx, [a, '999998'], 'senders'))).rejects.toMatchObject({
      kind: 'invalid',
      fields: { senders: expect.stringContaining('999998') },
    });
  });

  it('refuses to delete a sender a campaign uses, with a 409', async () => {
    const { body: sender } = await create(valid({ name: 'Used' }));
    const { rows } = await t.db.query(`INSERT INTO campaigns (name) VALUES ('Spring') RETURNING id`);
    await t.db.query(`INSERT INTO campaign_senders (campaign_id, sender_id, position) VALUES ($1, $2, 0)`, [
      rows[0].id,
      sender.id,
    ]);
    const refused = await t.request<Record<string, any>>('DELETE', `/api/v1/senders/${sender.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/used by a campaign/);
    await t.db.query(`DELETE FROM campaigns WHERE id = $1`, [rows[0].id]);
    expect((await t.request('DELETE', `/api/v1/senders/${sender.id}`)).status).toBe(204);
    expect((await t.request('GET', `/api/v1/senders/${sender.id}`)).status).toBe(404);
    expect((await t.request('DELETE', `/api/v1/senders/${sender.id}`)).status).toBe(404);
  });

  it('brings the sandbox sender back when asked for after it was deleted, but not at start', async () => {
    const senders = t.app.get(SendersService);
    const old = await senders.sandboxSenderId();
    expect((await t.request('DELETE', `/api/v1/senders/${old}`)).status).toBe(204);
    // Other senders exist: start-up adds nothing.
    expect(await senders.seedSandboxSender()).toBeUndefined();
    const again = await Promise.all([1, 2, 3].map(() => senders.sandboxSenderId()));
    expect(new Set(again).size).toBe(1);
    expect(again[0]).not.toBe(old);
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM senders WHERE kind = 'sandbox'`);
    expect(rows[0].n).toBe(1);
    // Taking out a sender that is gone is nothing to do.
    await expect(senders.disable(old, 'gone')).resolves.toBeUndefined();
  });

  it('verifies a sender and says in plain words what went wrong', async () => {
    const verify = async (extra: Record<string, unknown>) => {
      const { body: sender } = await create(valid(extra));
      const res = await t.request<Record<string, any>>('POST', `/api/v1/senders/${sender.id}/verify`);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(PASSWORD);
      return res.body;
    };
    expect(await verify({})).toMatchObject({ ok: true, stage: 'ready' });
    const wrong = await verify({ password: 'not-the-password' });
    expect(wrong).toMatchObject({ ok: false, stage: 'auth', message: expect.stringMatching(/username or password/) });
    expect(wrong.reply).toMatch(/^535/);
    expect(await verify({ security: 'starttls' })).toMatchObject({
      ok: false,
      stage: 'tls',
      message: expect.stringMatching(/does not offer STARTTLS/),
    });
    expect(await verify({ port: await closedPort() })).toMatchObject({
      ok: false,
      stage: 'connect',
      message: expect.stringMatching(/Nothing accepts connections/),
    });
    expect(await verify({ port: silent.port })).toMatchObject({
      ok: false,
      stage: 'connect',
      message: expect.stringMatching(/did not answer/),
    });
  });
});
