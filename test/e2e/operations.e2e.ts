import { getQueueToken } from '@nestjs/bullmq';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { REDIS } from '../../libs/common/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

/** The value of one sample line (`name{labels} value`) of a Prometheus page, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function heartbeatKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:workers:*`);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

describe('operations: api with an inline worker', () => {
  let t: TestApp;
  let redis: Redis;
  let closed = false;
  beforeAll(async () => {
    t = await startTestApp({ withWorker: true, env: { HERALD_METRICS_CACHE_SECONDS: '0' } });
    redis = new Redis(t.config.REDIS_URL);
  });
  afterAll(async () => {
    if (!closed) await t.close();
    redis.disconnect();
  });

  it('counts the worker in /health and announces it in Redis', async () => {
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', database: 'up', redis: 'up', workers: { live: 1 } });

    const keys = await heartbeatKeys(redis, t.config.HERALD_QUEUE_PREFIX);
    expect(keys).toEqual([`${t.config.HERALD_QUEUE_PREFIX}:workers:${hostname()}:${process.pid}`]);
    const info = JSON.parse((await redis.get(keys[0]))!);
    expect(info).toMatchObject({
      host: hostname(),
      pid: process.pid,
      queues: ['imports', 'campaigns', 'signups', 'webhooks'],
    });
    expect(Date.parse(info.startedAt)).toBeLessThanOrEqual(Date.now());
    const ttl = await redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('serves Prometheus text with queue, worker and contact gauges, counted on scrape', async () => {
    for (const [email, status] of [
      ['a@example.com', 'subscribed'],
      ['b@example.com', 'subscribed'],
      ['c@example.com', 'unsubscribed'],
    ]) {
      expect((await t.request('POST', '/api/v1/contacts', { body: { email, status } })).status).toBe(201);
    }

    const res = await t.request('GET', '/metrics', { auth: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.text).toContain('# TYPE herald_queue_jobs gauge');
    for (const state of ['waiting', 'active', 'delayed', 'failed', 'completed']) {
      expect(sample(res.text, `herald_queue_jobs{queue="imports",state="${state}"}`)).toBe(0);
    }
    expect(sample(res.text, 'herald_workers_live')).toBe(1);
    expect(sample(res.text, 'herald_contacts{status="subscribed"}')).toBe(2);
    expect(sample(res.text, 'herald_contacts{status="unsubscribed"}')).toBe(1);
    expect(sample(res.text, 'herald_contacts{status="bounced"}')).toBe(0);
    expect(sample(res.text, 'herald_imports{status="queued"}')).toBe(0);
    // Default process metrics come along.
    expect(res.text).toContain('process_cpu_user_seconds_total');

    await t.db.query(`UPDATE contacts SET status = 'bounced' WHERE email = 'a@example.com'`);
    const again = await t.request('GET', '/metrics', { auth: false });
    expect(sample(again.text, 'herald_contacts{status="subscribed"}')).toBe(1);
    expect(sample(again.text, 'herald_contacts{status="bounced"}')).toBe(1);
  });

  it('removes the heartbeat when the worker shuts down', async () => {
    expect(await heartbeatKeys(redis, t.config.HERALD_QUEUE_PREFIX)).toHaveLength(1);
    closed = true;
    await t.close();
    expect(await heartbeatKeys(redis, t.config.HERALD_QUEUE_PREFIX)).toEqual([]);
  });
});

describe('operations: api alone, metrics behind a token', () => {
  const token = 'metrics-token-0123456789abcdef';
  let t: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    t = await startTestApp({ env: { HERALD_METRICS_TOKEN: token, HERALD_METRICS_CACHE_SECONDS: '0' } });
    redis = new Redis(t.config.REDIS_URL);
  });
  afterAll(async () => {
    await t.close();
    redis.disconnect();
  });

  it('stays healthy with no worker, and counts workers of other processes', async () => {
    const health = await t.request('GET', '/health', { auth: false });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', database: 'up', redis: 'up', workers: { live: 0 } });

    // A worker on another host, and one of another install sharing the Redis.
    const prefix = t.config.HERALD_QUEUE_PREFIX;
    const info = JSON.stringify({ host: 'elsewhere', pid: 7, startedAt: new Date().toISOString(), queues: [] });
    await redis.set(`${prefix}:workers:elsewhere:7`, info, 'EX', 30);
    await redis.set(`${prefix}-other:workers:elsewhere:8`, info, 'EX', 30);
    try {
      const after = await t.request('GET', '/health', { auth: false });
      expect(after.body.workers).toEqual({ live: 1 });
    } finally {
      await redis.del(`${prefix}:workers:elsewhere:7`, `${prefix}-other:workers:elsewhere:8`);
    }
  });

  it('counts a standalone worker process while it runs', async () => {
    const worker = await NestFactory.createApplicationContext(WorkerModule.forRoot(t.config), { logger: false });
    await worker.init();
    try {
      expect((await t.request('GET', '/health', { auth: false })).body.workers).toEqual({ live: 1 });
    } finally {
      await worker.close();
    }
    expect((await t.request('GET', '/health', { auth: false })).body.workers).toEqual({ live: 0 });
  });

  it('answers 401 without the metrics token, with a wrong one or with an API key', async () => {
    for (const auth of [false, 'wrong-token', t.apiKey, `${token}x`, token.slice(0, -1)] as const) {
      const res = await t.request('GET', '/metrics', { auth });
      expect(res.status, String(auth)).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect(res.text).not.toContain('herald_');
    }
    const basic = await t.request('GET', '/metrics', { auth: false, headers: { authorization: `Basic ${token}` } });
    expect(basic.status).toBe(401);
  });

  it('serves the metrics with the right token, queue counts included', async () => {
    const queue = t.app.get<Queue>(getQueueToken('imports'), { strict: false });
    await queue.add('import.run', { importId: '999999' }, { jobId: 'metrics-probe', delay: 60_000 });
    try {
      const res = await t.request('GET', '/metrics', { auth: token });
      expect(res.status).toBe(200);
      expect(sample(res.text, 'herald_queue_jobs{queue="imports",state="delayed"}')).toBe(1);
      expect(sample(res.text, 'herald_workers_live')).toBe(0);
      expect(sample(res.text, 'herald_contacts{status="subscribed"}')).toBe(0);
    } finally {
      await queue.remove('metrics-probe');
    }
  });

  it('skips a gauge whose source fails instead of failing the page', async () => {
    await t.db.query('ALTER TABLE imports RENAME TO imports_moved');
    try {
      const res = await t.request('GET', '/metrics', { auth: token });
      expect(res.status).toBe(200);
      expect(res.text).not.toMatch(/^herald_imports\{/m);
      expect(sample(res.text, 'herald_contacts{status="subscribed"}')).toBe(0);
      expect(sample(res.text, 'herald_workers_live')).toBe(0);
    } finally {
      await t.db.query('ALTER TABLE imports_moved RENAME TO imports');
    }
    const healed = await t.request('GET', '/metrics', { auth: token });
    expect(sample(healed.text, 'herald_imports{status="queued"}')).toBe(0);
  });
});

describe('operations: health with a dependency down', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t.close());

  it('reuses the database counts of /metrics between scrapes (HERALD_METRICS_CACHE_SECONDS, 30 by default)', async () => {
    expect((await t.request('POST', '/api/v1/contacts', { body: { email: 'one@example.com' } })).status).toBe(201);
    const scrapes = await Promise.all(Array.from({ length: 10 }, () => t.request('GET', '/metrics', { auth: false })));
    for (const res of scrapes) expect(sample(res.text, 'herald_contacts{status="subscribed"}')).toBe(1);
    await t.db.query(`INSERT INTO contacts (email) VALUES ('two@example.com')`);
    // Within the cache time the page shows the earlier count: no full scan per scrape.
    const again = await t.request('GET', '/metrics', { auth: false });
    expect(sample(again.text, 'herald_contacts{status="subscribed"}')).toBe(1);
  });

  it('answers 503, naming Redis, when Redis is unreachable', async () => {
    t.app.get<Redis>(REDIS).disconnect();
    const res = await t.request('GET', '/health', { auth: false });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'degraded', database: 'up', redis: 'down', workers: { live: 0 } });
  });

  it('answers 503, naming the database, when Postgres is unreachable', async () => {
    await t.app.get(DataSource).destroy();
    const res = await t.request('GET', '/health', { auth: false });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'degraded', database: 'down', redis: 'down', workers: { live: 0 } });
  });
});
