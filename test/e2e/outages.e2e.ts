import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from 'vitest';
import { upload, waitForImport } from '../fixtures/csv/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const CSV = Buffer.from('email,first_name\nada@example.com,Ada\ngrace@example.com,Grace\n');

/** Retries `check` until it stops throwing, for at most `ms`. */
async function eventually<T>(check: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The structured lines the app logged with this message, as their first argument. */
const logged = (spy: MockInstance, message: string): Record<string, unknown>[] =>
  spy.mock.calls.filter((call) => call[1] === message).map((call) => call[0] as Record<string, unknown>);

function expectUnavailable(res: { status: number; headers: Headers; body: any }, what: RegExp): void {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
  expect(res.body.message).toMatch(what);
  expect(res.body.errorId).toBeUndefined();
}

describe('outages: Redis goes down and comes back', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let warn: MockInstance;
  let info: MockInstance;
  let consoleError: MockInstance;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
    t = await startTestApp({ withWorker: true, env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}` } });
  });
  afterAll(async () => {
    await proxy.up().catch(() => undefined);
    await t.close();
    await proxy.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 503 with Retry-After at once, logs one structured line, and recovers without a restart', async () => {
    const before = await upload(t, CSV);
    expect(before.status).toBe(202);
    expect(await waitForImport(t, before.body.id)).toMatchObject({ status: 'done', inserted: 2 });

    warn = vi.spyOn(Logger.prototype, 'warn');
    info = vi.spyOn(Logger.prototype, 'log');
    consoleError = vi.spyOn(console, 'error');
    await proxy.down();

    const started = Date.now();
    expectUnavailable(await upload(t, CSV), /Redis/);
    expectUnavailable(
      await t.request('POST', '/api/v1/auth/login', {
        auth: false,
        body: { email: t.adminEmail, password: t.adminPassword },
      }),
      /Redis/,
    );
    // Well under the 30 s test timeout, where the enqueue used to wait ~105 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ database: 'up', redis: 'down' });

    // Reconnect attempts go on meanwhile: still one line, and no stack traces.
    await new Promise((r) => setTimeout(r, 4000));
    expect(logged(warn, 'dependency.down')).toEqual([{ dependency: 'redis', error: expect.any(String) }]);
    expect(consoleError).not.toHaveBeenCalled();

    await proxy.up();
    await eventually(async () => expect((await t.request('GET', '/health', { auth: false })).status).toBe(200));
    expect(logged(info, 'dependency.up')).toEqual([{ dependency: 'redis', downForSeconds: expect.any(Number) }]);
    const login = await t.request('POST', '/api/v1/auth/login', {
      auth: false,
      body: { email: t.adminEmail, password: t.adminPassword },
    });
    expect(login.status).toBe(200);
    // The queue and the worker reconnected by themselves: an import runs to the end.
    const after = await eventually(async () => {
      const res = await upload(t, CSV);
      expect(res.status).toBe(202);
      return res;
    });
    expect(await waitForImport(t, after.body.id)).toMatchObject({ status: 'done' });
    expect(consoleError).not.toHaveBeenCalled();
  });
});

describe('outages: Postgres goes down and comes back', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    t = await startTestApp({
      env: (database) => {
        const url = new URL(database.url);
        url.port = String(proxy.port);
        return { DATABASE_URL: url.toString() };
      },
    });
  });
  afterAll(async () => {
    await proxy.up().catch(() => undefined);
    await t.close();
    await proxy.close();
  });
  afterEach(() => vi.restoreAllMocks());

  it('answers 503 with Retry-After instead of 500, and serves again once Postgres is back', async () => {
    expect((await t.request('GET', '/api/v1/lists')).status).toBe(200);
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const error = vi.spyOn(Logger.prototype, 'error');
    await proxy.down();

    const started = Date.now();
    expectUnavailable(await t.request('GET', '/api/v1/lists'), /database/);
    expectUnavailable(await t.request('POST', '/api/v1/lists', { body: { name: 'During the outage' } }), /database/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ database: 'down', redis: 'up' });
    // No "unhandled error" 500 lines, and the outage itself is one structured line.
    expect(logged(error, 'unhandled error')).toEqual([]);
    await eventually(async () => expect(logged(warn, 'dependency.down')).toHaveLength(1), 10_000);
    expect(logged(warn, 'dependency.down')[0]).toMatchObject({ dependency: 'database' });

    await proxy.up();
    await eventually(async () => expect((await t.request('GET', '/api/v1/lists')).status).toBe(200));
    expect((await t.request('POST', '/api/v1/lists', { body: { name: 'After the outage' } })).status).toBe(201);
  });
});
