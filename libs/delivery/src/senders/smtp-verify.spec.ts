import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { type SmtpTarget, verifySmtp } from './smtp-verify.js';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function smtpSink(options: SMTPServerOptions): Promise<number> {
  const server = new SMTPServer({ logger: false, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as AddressInfo).port;
}

/** Accepts connections and never says a word. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A port that was free a moment ago: nothing listens there. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const authenticating: SMTPServerOptions = {
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  authMethods: ['PLAIN', 'LOGIN'],
  onAuth(auth, _session, callback) {
    if (auth.username === 'mailer' && auth.password === 'right-password') callback(null, { user: 'mailer' });
    else callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
  },
};

const target = (port: number, extra: Partial<SmtpTarget> = {}): SmtpTarget => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  username: 'mailer',
  password: 'right-password',
  ...extra,
});

describe('verifySmtp', () => {
  it('signs in with the right username and password', async () => {
    const port = await smtpSink(authenticating);
    const result = await verifySmtp(target(port), 5000);
    expect(result).toMatchObject({ ok: true, stage: 'ready' });
    expect(result.message).toContain('signed in as mailer');
  });

  it('says the password is wrong, with the server reply', async () => {
    const port = await smtpSink(authenticating);
    const result = await verifySmtp(target(port, { password: 'wrong-password' }), 5000);
    expect(result).toMatchObject({ ok: false, stage: 'auth' });
    expect(result.message).toMatch(/refused the username or password/);
    expect(result.reply).toMatch(/^535 /);
    expect(JSON.stringify(result)).not.toContain('wrong-password');
  });

  it('says the server does not offer STARTTLS when the sender requires it', async () => {
    const port = await smtpSink(authenticating);
    const result = await verifySmtp(target(port, { security: 'starttls' }), 5000);
    expect(result).toMatchObject({ ok: false, stage: 'tls' });
    expect(result.message).toMatch(/does not offer STARTTLS/);
  });

  it('says the certificate is not trusted when the server presents a self-signed one', async () => {
    // smtp-server's built-in certificate is self-signed.
    const port = await smtpSink({ ...authenticating, disabledCommands: [] });
    const result = await verifySmtp(target(port, { security: 'starttls' }), 5000);
    expect(result).toMatchObject({ ok: false, stage: 'tls' });
    expect(result.message).toMatch(/certificate is not trusted/);
  });

  it('says nothing listens when the port is closed', async () => {
    const port = await closedPort();
    const result = await verifySmtp(target(port), 5000);
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
    expect(result.message).toMatch(/Nothing accepts connections at 127\.0\.0\.1:\d+/);
  });

  it('gives up on a server that never answers, and says so', async () => {
    const port = await silentServer();
    const result = await verifySmtp(target(port), 300);
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
    expect(result.message).toMatch(/did not answer within/);
  });

  it('says the host was not found', async () => {
    const result = await verifySmtp(target(25, { host: 'smtp.herald-check.invalid' }), 3000);
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
    expect(result.message).toMatch(/was not found/);
  });
});
