import { Clock, HERALD_CONFIG, type HeraldConfig, REDIS, redisScript, runScript } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Outbox } from '../messages/outbox.js';
import type { SendingSender } from '../senders/sender.js';
import { localDate, nextLocalMidnight, startOfLocalToday } from './local-day.js';
import { REFUND_LUA, RESERVE_LUA, SEED_LUA } from './throttle.lua.js';

export type Reservation =
  | { kind: 'granted'; count: number; startAt: number; spacingMs: number } // send i-th at startAt + i*spacingMs (epoch ms)
  | { kind: 'quota_exhausted'; resumesAt: Date }; // next local midnight in the sender's zone

/** A day's counter outlives its day, so a late refund or a clock near midnight still finds it. */
const DAY_KEY_TTL_MS = 2 * 86_400_000;

const RESERVE = redisScript(RESERVE_LUA);
const REFUND = redisScript(REFUND_LUA);
const SEED = redisScript(SEED_LUA);

/**
 * Every sender's rate and daily quota, enforced in Redis for all processes
 * at once. Times (`startAt`, the local day) are the injected `Clock`'s.
 * Flushing Redis loses nothing: a missing day counter is rebuilt from the
 * messages the sender handed over since its local midnight.
 */
@Injectable()
export class Throttle {
  private readonly prefix: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
  ) {
    this.prefix = `${config.HERALD_QUEUE_PREFIX}:throttle`;
  }

  /** Up to `wanted` slots (count <= wanted), counted toward today's quota. */
  async reserve(sender: SendingSender, wanted: number): Promise<Reservation> {
    const now = this.clock.now();
    if (wanted <= 0) return { kind: 'granted', count: 0, startAt: now, spacingMs: 1000 / sender.ratePerSecond };
    const limited = sender.dailyLimit !== null;
    const keys = [this.timelineKey(sender.id), this.slowKey(sender.id)];
    if (limited) keys.push(this.dayKey(sender, now));
    const args = (seed: number) => [
      String(now),
      String(1000 / sender.ratePerSecond),
      String(Math.floor(wanted)),
      String(sender.dailyLimit ?? -1),
      String(DAY_KEY_TTL_MS),
      String(seed),
    ];
    let result = await runScript<(number | string)[]>(this.redis, RESERVE, keys, args(-1));
    if (result[0] === -1)
      result = await runScript<(number | string)[]>(this.redis, RESERVE, keys, args(await this.sentToday(sender, now)));
    if (Number(result[0]) <= 0) return { kind: 'quota_exhausted', resumesAt: nextLocalMidnight(now, sender.timeZone) };
    return { kind: 'granted', count: Number(result[0]), startAt: Number(result[1]), spacingMs: Number(result[2]) };
  }

  /** Gives back slots reserved but not attempted (pause, cancel, skip) to today's quota. */
  async refund(sender: SendingSender, count: number): Promise<void> {
    if (sender.dailyLimit === null || count <= 0) return;
    await runScript<number>(this.redis, REFUND, [this.dayKey(sender, this.clock.now())], [String(Math.floor(count))]);
  }

  /** Spaces the sender's messages `factor` times wider for `forMs` (the server said 421/454). */
  async slowDown(senderId: string, factor: number, forMs: number): Promise<void> {
    if (!(factor > 0) || !(forMs > 0)) return;
    await this.redis.set(this.slowKey(senderId), String(factor), 'PX', Math.ceil(forMs));
  }

  /** What is left of today's quota; null when the sender has no daily limit. */
  async remainingToday(sender: SendingSender): Promise<number | null> {
    if (sender.dailyLimit === null) return null;
    const now = this.clock.now();
    const key = this.dayKey(sender, now);
    let used = await this.redis.get(key);
    if (used === null) {
      const seeded = await runScript<number>(
        this.redis,
        SEED,
        [key],
        [String(await this.sentToday(sender, now)), String(DAY_KEY_TTL_MS)],
      );
      used = String(seeded);
    }
    return Math.max(0, sender.dailyLimit - Number(used));
  }

  private sentToday(sender: SendingSender, now: number): Promise<number> {
    return this.outbox.sentSince(sender.id, startOfLocalToday(now, sender.timeZone));
  }

  // A sender's keys share a hash tag, so that one script may touch them all on a Redis Cluster.
  private timelineKey(senderId: string): string {
    return `${this.prefix}:{${senderId}}:next`;
  }

  private slowKey(senderId: string): string {
    return `${this.prefix}:{${senderId}}:slow`;
  }

  private dayKey(sender: SendingSender, now: number): string {
    return `${this.prefix}:{${sender.id}}:day:${localDate(now, sender.timeZone)}`;
  }
}
