import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { installationKey } from '../../libs/common/src/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createTestDatabase } from '../support/databases.js';
import { deleteKeys } from '../support/redis-keys.js';

const startWorker = (config: TestApp['config']) =>
  NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: false, abortOnError: false });

describe('installations sharing a Redis', () => {
  let t: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    t = await startTestApp();
    redis = new Redis(t.config.REDIS_URL);
  });
  afterAll(async () => {
    await t.close();
    redis.disconnect();
  });

  it('claims its key prefix for the installation whose database it uses', async () => {
    const { rows } = await t.db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'installation_id'`);
    expect(rows).toHaveLength(1);
    const key = installationKey(t.config.HERALD_QUEUE_PREFIX);
    expect(await redis.get(key)).toBe(rows[0].value);
    expect(await redis.ttl(key)).toBeGreaterThan(0);
  });

  it('starts more processes of the same installation on the prefix', async () => {
    const worker = await startWorker(t.config);
    await worker.init();
    await worker.close();
  });

  it('refuses to start a process of another installation on the same prefix, saying what to set', async () => {
    const other = await createTestDatabase();
    try {
      await expect(startWorker({ ...t.config, DATABASE_URL: other.url })).rejects.toThrow(
        new RegExp(
          `prefix "${t.config.HERALD_QUEUE_PREFIX}" is in use by another Herald installation.*HERALD_QUEUE_PREFIX`,
        ),
      );
      // With a prefix of its own it starts.
      const own = await startWorker({
        ...t.config,
        DATABASE_URL: other.url,
        HERALD_QUEUE_PREFIX: `${t.config.HERALD_QUEUE_PREFIX}-b`,
      });
      await own.init();
      await own.close();
    } finally {
      await deleteKeys(`${t.config.HERALD_QUEUE_PREFIX}-b:*`);
      await other.drop();
    }
  });
});
