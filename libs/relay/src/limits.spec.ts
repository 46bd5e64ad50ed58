import { randomBytes } from 'node:crypto';
import { loadConfig } from '@herald/common';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteKeys, testRedisUrl } from '../../../test/support/redis-keys.js';
import { RelayLimits } from './limits.js';

const prefix = `herald-test-${process.env.HERALD_TEST_RUN ?? process.pid}-${randomBytes(5).toString('hex')}`;
const clients: Redis[] = [];

/** The limits of one process: its own Redis connection, and its own share of each minute. */
function limitsProcess(perMinute: number): RelayLimits {
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
  clients.push(redis);
  return new RelayLimits(
    redis,
    loadConfig({ HERALD_QUEUE_PREFIX: prefix, HERALD_RELAY_RATE_PER_MINUTE: String(perMinute) }),
  );
}

afterAll(async () => {
  await deleteKeys(`${prefix}:*`);
  await Promise.all(clients.map((c) => c.quit()));
});

describe('RelayLimits.countMessage', () => {
  it('allows exactly the limit in a minute across processes that take it in shares', async () => {
    // 1 % of 300: each process takes 3 at a time.
    const [a, b] = [limitsProcess(300), limitsProcess(300)];
    const minute = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    const allowed = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) {
      const [who, limits] = i % 3 === 0 ? (['a', a] as const) : (['b', b] as const);
      if ((await limits.countMessage('key:7', minute)).allowed) allowed[who] += 1;
    }
    expect(allowed.a + allowed.b).toBe(300);
    expect(allowed.a).toBeGreaterThan(0);
    expect(allowed.b).toBeGreaterThan(0);
    // The next minute is a new one, with a retry hint up to it.
    expect(await a.countMessage('key:7', minute + 60_000)).toEqual({ allowed: true, retryAfterSeconds: 59 });
    expect((await b.countMessage('key:7', minute)).retryAfterSeconds).toBe(59);
  });

  it('counts a low limit one by one, so a second process gets what the first did not use', async () => {
    const [a, b] = [limitsProcess(3), limitsProcess(3)];
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    expect((await a.countMessage('key:8', minute)).allowed).toBe(true);
    expect((await b.countMessage('key:8', minute)).allowed).toBe(true);
    expect((await b.countMessage('key:8', minute)).allowed).toBe(true);
    expect((await a.countMessage('key:8', minute)).allowed).toBe(false);
    expect((await b.countMessage('key:8', minute)).allowed).toBe(false);
  });
});
