import {
  Db,
  HERALD_CONFIG,
  type HeraldConfig,
  type JobPayloads,
  type PeriodicTask,
  runPeriodically,
} from '@herald/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import { DELIVERY_LEASE_SECONDS, WebhookDeliverer } from './webhook-deliverer.js';
import { WEBHOOK_QUEUE, WebhookQueue } from './webhook-queue.js';
import * as q from './webhooks.sql.js';

/** Events in one POST at most. */
export const MAX_BATCH = 100;
/** Batches one tick forms per endpoint at most; the next tick goes on. */
const BATCHES_PER_TICK = 20;
/** Due deliveries the tick re-adds jobs for at most per run. */
const TICK_DUE = 500;
/** Finished deliveries and their events are kept this many days for the log. */
const KEEP_DAYS = 7;

/**
 * Delivery jobs. A job carries the delivery's id only; one lost with Redis
 * or a worker is added again by the tick, and running one twice does
 * nothing the second time (the claim is conditional on the row).
 */
@Processor(WEBHOOK_QUEUE, { concurrency: 8 })
export class WebhooksProcessor extends WorkerHost {
  constructor(private readonly deliverer: WebhookDeliverer) {
    super();
  }

  /** One attempt; a retry is due at the row's `next_attempt_at`, and the tick adds its job then. */
  async process(job: Job<JobPayloads['webhook.deliver']>): Promise<void> {
    await this.deliverer.attempt(job.data.deliveryId);
  }
}

/**
 * Every HERALD_SCHEDULER_TICK_MS in every worker: puts new events into
 * batches (up to MAX_BATCH per POST) and adds their jobs, re-adds the jobs
 * of deliveries due (retries coming due, jobs lost with Redis, a dead
 * worker's), and prunes the log. Every step is conditional in Postgres, so
 * several workers ticking at once do each thing once.
 */
@Injectable()
export class WebhookTick implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private task: PeriodicTask | undefined;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly queue: WebhookQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.task = runPeriodically(
      () => this.tick(),
      this.config.HERALD_SCHEDULER_TICK_MS,
      (error) => this.logger.error({ err: error }, 'webhook.tick_failed'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async tick(): Promise<void> {
    const endpoints = await this.db.rows<{ endpoint_id: string }>(q.ENDPOINTS_WITH_NEW_EVENTS);
    for (const { endpoint_id } of endpoints) {
      for (let i = 0; i < BATCHES_PER_TICK; i++) {
        const batch = await this.db.maybeOne<{ id: string }>(q.BATCH, [endpoint_id, MAX_BATCH]);
        if (batch === undefined) break;
        await this.queue.deliver(batch.id);
      }
    }
    const due = await this.db.rows<{ id: string }>(q.DUE, [DELIVERY_LEASE_SECONDS, TICK_DUE]);
    for (const { id } of due) await this.queue.deliver(id);
    if (Date.now() - this.lastPrune > 3600_000) {
      this.lastPrune = Date.now();
      await this.db.execute(q.PRUNE, [KEEP_DAYS]);
    }
  }
}
