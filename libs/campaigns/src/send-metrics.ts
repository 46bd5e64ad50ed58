import { HERALD_CONFIG, type HeraldConfig, REDIS } from '@herald/common';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { Counter } from 'prom-client';

export type MessageOutcome = 'sent' | 'deferred' | 'failed' | 'bounced' | 'uncertain' | 'skipped' | 'sender_failed';

/**
 * `herald_messages_total{outcome,sender}`, counted in the process that sends.
 * The counter belongs to no registry of its own: the api's /metrics adds it
 * to its registry, so under `npm start` (api + processors in one process) it
 * is scraped there; a standalone worker serves no /metrics, and its sends are
 * visible through the campaign reports instead.
 */
@Injectable()
export class SendMetrics {
  readonly messages = new Counter<'outcome' | 'sender'>({
    name: 'herald_messages_total',
    help: 'Messages handed to SMTP senders, by outcome and sender id',
    labelNames: ['outcome', 'sender'],
    registers: [],
  });

  count(outcome: MessageOutcome, senderId: string, n = 1): void {
    this.messages.inc({ outcome, sender: senderId }, n);
  }
}

/** Seconds of per-second counts kept for the report's current rate. */
const WINDOW_SECONDS = 60;

const FLUSH_MS = 500;

/**
 * Sent messages per second of each campaign, across all workers: one Redis
 * counter per campaign and second, expiring after two minutes. Counts are
 * gathered in memory and added every half second rather than a round trip
 * per message. Losing them (a Redis flush) only makes the shown rate low for
 * a minute.
 */
@Injectable()
export class RateMeter implements OnModuleDestroy {
  private readonly logger = new Logger(RateMeter.name);
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    return this.flush();
  }

  private key(campaignId: string, second: number): string {
    return `${this.config.HERALD_QUEUE_PREFIX}:campaign-rate:${campaignId}:${second}`;
  }

  sent(campaignId: string): void {
    const key = this.key(campaignId, Math.floor(Date.now() / 1000));
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch((error: unknown) => this.logger.warn({ err: error }, 'campaign.rate_flush_failed'));
      }, FLUSH_MS);
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = this.redis.multi();
    for (const [key, n] of batch) multi.incrby(key, n).expire(key, WINDOW_SECONDS * 2);
    await multi.exec();
  }

  /** Messages sent per second over the last full minute. */
  async perSecond(campaignId: string): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    const keys = Array.from({ length: WINDOW_SECONDS }, (_, i) => this.key(campaignId, now - 1 - i));
    const values = await this.redis.mget(...keys);
    const total = values.reduce((sum, v) => sum + (v === null ? 0 : Number(v)), 0);
    return total / WINDOW_SECONDS;
  }
}
