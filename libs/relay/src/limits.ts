import { clientOf } from '@herald/auth';
import { HERALD_CONFIG, type HeraldConfig, REDIS, redisScript, runScript } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';

/**
 * Takes up to ARGV[1] of a window's ARGV[2] messages for one process; the
 * window's key expires after ARGV[3] seconds. Returns how many were taken:
 * 0 when the window is spent.
 */
const TAKE_FROM_WINDOW = redisScript(`
  local used = tonumber(redis.call('GET', KEYS[1]) or '0')
  local taken = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
  if taken <= 0 then return 0 end
  redis.call('INCRBY', KEYS[1], taken)
  redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX')
  return taken`);

/**
 * How much of a key's minute a process takes at once: 1 % of the limit,
 * between 1 and 50. A relay taking hundreds of messages a second then asks
 * Redis once per dozens of them; what a process took and did not use is at
 * most 1 % of the minute, and a low limit is still counted one by one.
 */
const shareOf = (limit: number) => Math.min(50, Math.max(1, Math.floor(limit / 100)));

/** Keys whose share this process keeps at most (the keys sending this minute, in practice). */
const MAX_TAKEN = 10_000;

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
  /** What this process took of each key's current minute and has not used yet. */
  private readonly taken = new Map<string, { minute: number; left: number }>();

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
    const retryAfterSeconds = Math.max(1, Math.ceil(((minute + 1) * 60_000 - nowMs) / 1000));
    const mine = this.taken.get(who);
    if (mine !== undefined && mine.minute === minute && mine.left > 0) {
      mine.left -= 1;
      return { allowed: true, retryAfterSeconds };
    }
    const limit = this.config.HERALD_RELAY_RATE_PER_MINUTE;
    const key = `${this.namespace}:rate:${who}:${minute}`;
    const taken = await runScript<number>(
      this.redis,
      TAKE_FROM_WINDOW,
      [key],
      [String(shareOf(limit)), String(limit), '120'],
    );
    if (taken === 0) return { allowed: false, retryAfterSeconds };
    if (this.taken.size >= MAX_TAKEN) this.taken.clear();
    this.taken.set(who, { minute, left: taken - 1 });
    return { allowed: true, retryAfterSeconds };
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
