import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { HERALD_CONFIG, type HeraldConfig } from './config.js';
import { REDIS } from './redis.js';

/**
 * The least time between two hints of one topic from one process. A woken
 * listener gathers work for a moment before it looks (the relay's drain
 * waits 50 ms), so closer hints would only cost round trips.
 */
const PUBLISH_GAP_MS = 50;

/**
 * "There is work for you" between processes, over Redis pub/sub: a process
 * that stored work calls `notify(topic)`, and every process that `listen`s
 * to that topic (this one included, at once) is called. A hint only:
 * Postgres holds the work, and a listener also looks for it on its own tick,
 * so a hint lost with Redis costs a tick's delay, never the work. Topics are
 * scoped by HERALD_QUEUE_PREFIX, as queues are.
 */
@Injectable()
export class WakeUps implements OnApplicationShutdown {
  private readonly logger = new Logger('WakeUps');
  private readonly listeners = new Map<string, Set<() => void>>();
  private subscriber: Redis | undefined;
  private readonly publishing = new Set<string>();
  private readonly owed = new Set<string>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  notify(topic: string): void {
    this.call(topic);
    if (this.publishing.has(topic)) {
      this.owed.add(topic);
      return;
    }
    this.publish(topic);
  }

  /** Calls `listener` on every `notify(topic)` in any process; resolves once subscribed. */
  async listen(topic: string, listener: () => void): Promise<void> {
    const listeners = this.listeners.get(topic) ?? new Set();
    listeners.add(listener);
    this.listeners.set(topic, listeners);
    if (this.subscriber === undefined) {
      // A subscribed connection can do nothing else, so it is one of its own; it resubscribes after a reconnect.
      this.subscriber = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
      this.subscriber.on('error', (error: Error) => this.logger.debug({ err: error }, 'wake_ups.redis_error'));
      this.subscriber.on('message', (channel: string) => {
        const prefix = this.channel('');
        if (channel.startsWith(prefix)) this.call(channel.slice(prefix.length));
      });
    }
    await this.subscriber.subscribe(this.channel(topic));
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    await this.subscriber?.quit().catch(() => undefined);
  }

  /**
   * One hint per topic at a time, then a pause of PUBLISH_GAP_MS, then one
   * more if any was asked for meanwhile: a relay storing hundreds of
   * messages a second sends tens of hints, and a listener that takes one
   * finds every row stored before it looks.
   */
  private publish(topic: string): void {
    this.publishing.add(topic);
    this.redis
      .publish(this.channel(topic), '')
      // The shared client fails fast while Redis is away; the listeners' ticks cover for a lost hint.
      .catch(() => undefined)
      .finally(() =>
        setTimeout(() => {
          this.publishing.delete(topic);
          if (this.owed.delete(topic)) this.publish(topic);
        }, PUBLISH_GAP_MS).unref(),
      );
  }

  private call(topic: string): void {
    for (const listener of this.listeners.get(topic) ?? []) listener();
  }

  private channel(topic: string): string {
    return `${this.config.HERALD_QUEUE_PREFIX}:wake:${topic}`;
  }
}
