import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { QueueBase } from 'bullmq';
import type { Redis } from 'ioredis';
import { asDependencyError, type Dependency, withDeadline } from './dependencies.js';
import { REDIS } from './redis.js';
import { Db } from './sql.js';

/** While a dependency is down, a reminder is logged this often. */
export const OUTAGE_REMINDER_MS = 60_000;
/** How often the database is probed, to notice an outage and a recovery without waiting for traffic. */
export const DATABASE_PROBE_MS = 5_000;
const PROBE_TIMEOUT_MS = 2_000;

interface Outage {
  since: number;
  lastLogged: number;
  failures: number;
}

/** The first line of a driver error, short: no stack, no query, no parameters. */
const summary = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 200);

/** BullMQ `Queue`s and `Worker`s are EventEmitters that re-emit their connection's errors. */
const isQueueBase = (value: unknown): value is QueueBase => value instanceof QueueBase;

/**
 * Turns the driver noise of an outage into a few structured lines: one
 * `dependency.down` when Postgres or Redis stops answering, a
 * `dependency.still_down` reminder every minute, one `dependency.up` when it
 * answers again. Without it ioredis and BullMQ print a stack trace on every
 * reconnect attempt. Listening is all it does: the drivers reconnect by
 * themselves, so recovery needs no restart.
 */
@Injectable()
export class DependencyMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Dependencies');
  private readonly outages = new Map<Dependency, Outage>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    @Inject(REDIS) redis: Redis,
    private readonly db: Db,
    private readonly discovery: DiscoveryService,
  ) {
    // From construction on: an ioredis client without an error listener prints each error with its stack.
    redis.on('error', (error: unknown) => this.failed('redis', error));
    redis.on('ready', () => this.recovered('redis'));
  }

  onApplicationBootstrap(): void {
    for (const emitter of this.queueEmitters()) {
      emitter.on('error', (error: unknown) => {
        if (asDependencyError(error) !== undefined || isSocketError(error)) this.failed('redis', error);
        else this.logger.warn({ err: summary(error), queue: emitter.name }, 'queue.error');
      });
    }
    this.db.onPoolError((error) => this.failed('database', error));
    this.probeTimer = setInterval(() => void this.probeDatabase(), DATABASE_PROBE_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.probeTimer);
  }

  /** Whether `dependency` is currently known to be down. */
  isDown(dependency: Dependency): boolean {
    return this.outages.has(dependency);
  }

  failed(dependency: Dependency, error: unknown): void {
    const now = Date.now();
    const outage = this.outages.get(dependency);
    if (outage === undefined) {
      this.outages.set(dependency, { since: now, lastLogged: now, failures: 1 });
      this.logger.warn({ dependency, error: summary(error) }, 'dependency.down');
      return;
    }
    outage.failures += 1;
    if (now - outage.lastLogged >= OUTAGE_REMINDER_MS) {
      outage.lastLogged = now;
      this.logger.warn(
        {
          dependency,
          error: summary(error),
          downForSeconds: Math.round((now - outage.since) / 1000),
          failures: outage.failures,
        },
        'dependency.still_down',
      );
    }
  }

  recovered(dependency: Dependency): void {
    const outage = this.outages.get(dependency);
    if (outage === undefined) return;
    this.outages.delete(dependency);
    this.logger.log({ dependency, downForSeconds: Math.round((Date.now() - outage.since) / 1000) }, 'dependency.up');
  }

  private async probeDatabase(): Promise<void> {
    const pool = this.db.poolUsage();
    // Every connection busy is load, not an outage: /health tells the two apart.
    const busy = pool !== undefined && pool.idle === 0 && pool.total >= pool.size;
    if (this.probing || pool === undefined || busy) return;
    this.probing = true;
    try {
      await withDeadline(this.db.execute('SELECT 1'), PROBE_TIMEOUT_MS, 'database');
      this.recovered('database');
    } catch (error) {
      // A refused or lost connection is an outage; a slow answer may be load.
      const unavailable = asDependencyError(error);
      if (unavailable !== undefined && /refused|lost/.test(unavailable.reason)) this.failed('database', error);
    } finally {
      this.probing = false;
    }
  }

  /** Every BullMQ queue and worker of this app: queues are providers, workers hang off their processor. */
  private queueEmitters(): QueueBase[] {
    const found = new Set<QueueBase>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (isQueueBase(instance)) found.add(instance);
      const worker = (instance as { _worker?: unknown } | null | undefined)?._worker;
      if (isQueueBase(worker)) found.add(worker);
    }
    return [...found];
  }
}

function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
