import { clientOf } from '@herald/auth';
import { HERALD_CONFIG, type HeraldConfig, REDIS, redisScript, runScript } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

/** Counts one in a window's key, which expires after the window: one command per message. */
const COUNT_IN_WINDOW = redisScript(`
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
  return n`);

/** The window failed SMTP logins are counted in. */
export const AUTH_WINDOW_SECONDS = 15 * 60;

/**
 * The relay's counters, in Redis so every relay and api process shares them:
 * messages per API key (or user, on the HTTP API) per minute, and failed
 * SMTP logins per client (an IPv4 address or an IPv6 /64).
 */
@Injectable()
export class RelayLimits {
  private readonly namespace: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {
    this.namespace = `${config.HERALD_QUEUE_PREFIX}:relay`;
  }

  /**
   * Counts one message for `who` in the current minute; past the limit it
   * is not allowed and `retryAfterSeconds` says when the next minute starts.
   */
  async countMessage(who: string, nowMs = Date.now()): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const minute = Math.floor(nowMs / 60_000);
    const key = `${this.namespace}:rate:${who}:${minute}`;
    const count = await runScript<number>(this.redis, COUNT_IN_WINDOW, [key], ['120']);
    const retryAfterSeconds = Math.max(1, Math.ceil(((minute + 1) * 60_000 - nowMs) / 1000));
    return { allowed: count <= this.config.HERALD_RELAY_RATE_PER_MINUTE, retryAfterSeconds };
  }

  /** Seconds until `ip` may try to log in again, or 0 when it may now. */
  async authBlockedFor(ip: string): Promise<number> {
    const key = this.authKey(ip);
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    if (Number(count ?? 0) < this.config.HERALD_RELAY_AUTH_MAX_FAILURES) return 0;
    return ttl > 0 ? ttl : AUTH_WINDOW_SECONDS;
  }

  async authFailed(ip: string): Promise<void> {
    const key = this.authKey(ip);
    await this.redis.multi().incr(key).expire(key, AUTH_WINDOW_SECONDS, 'NX').exec();
  }

  private authKey(ip: string): string {
    return `${this.namespace}:auth-failures:${clientOf(ip)}`;
  }
}
