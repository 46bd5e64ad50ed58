import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import pg from 'pg';
import { createApiApp } from '../../apps/api/src/app.js';
import { ApiKeysService, AuthService } from '../../libs/auth/src/index.js';
import { type HeraldConfig, loadConfig } from '../../libs/common/src/index.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { deleteKeys, testRedisUrl } from './redis-keys.js';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestApp {
  app: INestApplication;
  url: string;
  config: HeraldConfig;
  /** A direct connection to this file's database, for arranging and asserting. */
  db: pg.Pool;
  database: TestDatabase;
  adminEmail: string;
  adminPassword: string;
  apiKey: string;
  /** Calls the API as the admin (API key) unless `auth: false` or another token is given. */
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body (FormData, string) sent as is. */
  raw?: RequestInit['body'];
  headers?: Record<string, string>;
  auth?: false | string;
}

/** The pino logger is built once per process, by its first app: in a shared process a file cannot choose its own. */
const SHARED_LOGGER =
  'This test file shares its process with others, whose first app set up logging for all: ' +
  'to read log lines or set LOG_LEVEL, list the file in OWN_PROCESS in vitest.config.ts.';

/**
 * Boots the whole API (and, with `withWorker`, the job processors) on a
 * database and Redis key prefix of this test file's own.
 */
export async function startTestApp(
  options: {
    withWorker?: boolean;
    /** Also run the SMTP relay and the inbound listener (both default to free ports on loopback here). */
    withRelay?: boolean;
    /** Extra settings; a function receives the test database (to point DATABASE_URL through a proxy, say). */
    env?: Record<string, string> | ((database: TestDatabase) => Record<string, string>);
    logDestination?: DestinationStream;
  } = {},
): Promise<TestApp> {
  if (process.env.HERALD_TEST_SHARED_PROCESS === 'true' && options.logDestination !== undefined) {
    throw new Error(SHARED_LOGGER);
  }
  const database = await createTestDatabase();
  const env = typeof options.env === 'function' ? options.env(database) : options.env;
  if (process.env.HERALD_TEST_SHARED_PROCESS === 'true' && env?.LOG_LEVEL !== undefined) {
    await database.drop();
    throw new Error(SHARED_LOGGER);
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl(),
    HERALD_QUEUE_PREFIX: `herald-test-${process.env.HERALD_TEST_RUN ?? process.pid}-${randomBytes(5).toString('hex')}`,
    LOG_LEVEL: 'warn',
    PORT: '0',
    // Test files run in parallel: each app's sandbox inbox takes a free port of its own.
    HERALD_SANDBOX_SMTP_PORT: '0',
    HERALD_RELAY_LISTEN: '0:starttls,0:tls',
    HERALD_RELAY_BIND: '127.0.0.1',
    HERALD_INBOUND_PORT: '0',
    HERALD_INBOUND_BIND: '127.0.0.1',
    // Tests never ask real DNS: a closed loopback port refuses at once (the DNS check reports an error).
    HERALD_DNS_SERVERS: '127.0.0.1:9',
    ...env,
  });
  const app = await createApiApp(config, {
    withWorker: options.withWorker ?? false,
    withRelay: options.withRelay ?? false,
    logDestination: options.logDestination,
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const adminEmail = 'admin@example.com';
  const adminPassword = 'correct horse battery staple';
  const userId = await app.get(AuthService).createUser(adminEmail, adminPassword, 'admin');
  const { key: apiKey } = await app.get(ApiKeysService).create(userId, 'tests');
  const db = new pg.Pool({ connectionString: database.url, max: 4 });

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== false) headers.authorization = `Bearer ${opts.auth ?? apiKey}`;
    let body: RequestInit['body'] | undefined = opts.raw;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(url + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  return {
    app,
    url,
    config,
    db,
    database,
    adminEmail,
    adminPassword,
    apiKey,
    request,
    async close() {
      await app.close();
      // Queues, heartbeats, throttles: whatever this file wrote under its prefix goes with it.
      await deleteKeys(`${config.HERALD_QUEUE_PREFIX}:*`);
      await db.end();
      await database.drop();
    },
  };
}
