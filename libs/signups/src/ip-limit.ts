import { clientOf } from '@herald/auth';
import { HERALD_CONFIG, type HeraldConfig, REDIS, rateLimited } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * Submissions one client (an IPv4 address, an IPv6 /64) may make: a burst
 * for a household or an office behind one address, not a script signing up
 * an address list. Counted before anything else happens, in Redis, so all
 * api processes share the counts.
 */
export const SIGNUP_LIMITS = [
  { windowSeconds: 60, max: 5 },
  { windowSeconds: 3600, max: 30 },
] as const;

@Injectable()
export class SignupIpLimit {
  private readonly namespace: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    this.namespace = `${config.HERALD_QUEUE_PREFIX}:signup-limit`;
  }

  /** Counts one submission from `ip`; a 429 with Retry-After when a window's limit is spent. */
  async count(ip: string): Promise<void> {
    const client = clientOf(ip);
    const multi = this.redis.multi();
    for (const { windowSeconds } of SIGNUP_LIMITS) {
      const key = `${this.namespace}:${windowSeconds}:${client}`;
      multi.incr(key).expire(key, windowSeconds, 'NX').ttl(key);
    }
    const results = await multi.exec();
    if (!results) throw new Error('signup limit: Redis transaction aborted');
    const values = results.map(([error, value]) => {
      if (error) throw error;
      return Number(value ?? 0);
    });
    const waits = SIGNUP_LIMITS.flatMap(({ windowSeconds, max }, i) => {
      const [count, , ttl] = values.slice(i * 3, i * 3 + 3);
      return count > max ? [ttl > 0 ? ttl : windowSeconds] : [];
    });
    if (waits.length > 0) {
      const seconds = Math.max(...waits);
      throw rateLimited(`Too many sign-ups from this network; try again in ${seconds} second(s)`, seconds);
    }
  }
}
