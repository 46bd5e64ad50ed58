import { SendMetrics } from '@herald/campaigns';
import { cachedFor, DomainError, HERALD_CONFIG, type HeraldConfig, listLiveWorkers, REDIS } from '@herald/common';
import { ContactStatistics, type CountsByStatus } from '@herald/contacts';
import { TrackingMetrics } from '@herald/tracking';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createHash, timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { withTimeout } from './with-timeout.js';

/** Injection token of the BullMQ `Queue` of every queue in the catalogue. */
export const QUEUE_LIST = Symbol('QUEUE_LIST');

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

/** A scrape must answer even when one source hangs; Prometheus times out at 10 s by default. */
const COLLECT_TIMEOUT_MS = 5000;

/**
 * Prometheus metrics of this process. The registry is this app's own, not
 * prom-client's global one, so several apps in one process (tests) keep
 * separate metrics. Gauges read their sources when scraped, never on a timer.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  private readonly logger = new Logger(MetricsService.name);
  readonly registry = new Registry();
  private readonly tokenDigest: Buffer | undefined;
  // Both counts are full scans: cached (HERALD_METRICS_CACHE_SECONDS) and computed
  // by one scrape at a time, so many scrapers cost what one does.
  private readonly importCounts: () => Promise<CountsByStatus>;
  private readonly contactCounts: () => Promise<CountsByStatus>;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly statistics: ContactStatistics,
    @Inject(QUEUE_LIST) private readonly queues: Queue[],
    private readonly sendMetrics: SendMetrics,
    private readonly trackingMetrics: TrackingMetrics,
  ) {
    const token = config.HERALD_METRICS_TOKEN;
    this.tokenDigest = token === undefined ? undefined : digest(token);
    const ttlMs = config.HERALD_METRICS_CACHE_SECONDS * 1000;
    this.importCounts = cachedFor(ttlMs, () => this.statistics.importsByStatus());
    this.contactCounts = cachedFor(ttlMs, () => this.statistics.contactsByStatus());
  }

  onModuleInit(): void {
    const register = this.registry;
    collectDefaultMetrics({ register });
    // Counted where messages are sent: here when this process runs the processors too (`npm start`).
    register.registerMetric(this.sendMetrics.messages);
    // Opens and clicks are taken by api processes: this one's buffer and writes.
    for (const metric of this.trackingMetrics.all) register.registerMetric(metric);

    this.gauge('herald_queue_jobs', 'Jobs per queue and state', ['queue', 'state'], async (gauge) => {
      const counts = await Promise.all(this.queues.map((queue) => queue.getJobCounts(...JOB_STATES)));
      this.queues.forEach((queue, i) => {
        for (const state of JOB_STATES) gauge.set({ queue: queue.name, state }, counts[i][state] ?? 0);
      });
    });
    this.gauge('herald_workers_live', 'Worker processes with a live heartbeat', [], async (gauge) => {
      gauge.set((await listLiveWorkers(this.redis, this.config.HERALD_QUEUE_PREFIX)).length);
    });
    this.gauge('herald_imports', 'Imports per status', ['status'], (gauge) =>
      this.countByStatus(gauge, this.importCounts),
    );
    this.gauge('herald_contacts', 'Contacts per status', ['status'], (gauge) =>
      this.countByStatus(gauge, this.contactCounts),
    );
  }

  /** Throws `unauthorized` unless the bearer token matches `HERALD_METRICS_TOKEN` (when set). */
  authorize(authorization: string | undefined): void {
    if (this.tokenDigest === undefined) return;
    const match = /^Bearer (.+)$/i.exec(authorization ?? '');
    // Digests have equal lengths, so the comparison takes the same time whatever the input.
    if (!match || !timingSafeEqual(digest(match[1]), this.tokenDigest)) {
      throw new DomainError('unauthorized', 'GET /metrics needs Authorization: Bearer <HERALD_METRICS_TOKEN>');
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * A gauge filled on scrape. A failing source is logged and its gauge left
   * empty for this scrape, so one broken source never fails the whole page.
   */
  private gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (gauge: Gauge<L>) => Promise<void>,
  ): void {
    const logger = this.logger;
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          await withTimeout(fill(this), COLLECT_TIMEOUT_MS);
        } catch (error) {
          this.reset();
          logger.warn({ err: error, metric: name }, 'metrics.collect_failed');
        }
      },
    });
  }

  /** Counts from the owning lib; it reports known statuses as 0 rather than missing, so rates and alerts see them. */
  private async countByStatus(gauge: Gauge<'status'>, read: () => Promise<CountsByStatus>): Promise<void> {
    for (const [status, count] of Object.entries(await read())) gauge.set({ status }, count);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
