import { Clock, Db, HERALD_CONFIG, type HeraldConfig, type PeriodicTask, runPeriodically } from '@herald/common';
import { Outbox } from '@herald/delivery';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CampaignDeliverer } from './campaign-deliverer.js';
import { CampaignQueue } from './campaign-queue.js';
import type { CampaignState } from './campaign-state.js';
import { campaignsSql } from './campaigns.sql.js';

interface ActiveRow {
  id: string;
  state: Extract<CampaignState, 'sending' | 'paused'>;
  started_at: Date | null;
  waiting_for_quota_until: Date | null;
}

/**
 * The scheduler tick, in every worker process every HERALD_SCHEDULER_TICK_MS.
 *
 * A timer in each process rather than a BullMQ repeatable job: the tick must
 * keep running when Redis lost its keys (it is what rebuilds the jobs), and
 * running it in every worker at once is safe because each thing it does is a
 * conditional statement in Postgres: the due claim is one UPDATE, a quota
 * wait ends by one UPDATE on its old value, and job ids are deterministic.
 *
 * Each tick: claim due scheduled campaigns (late beyond the grace ->
 * needs_confirmation) and start them; then for every sending campaign add
 * its start job if it has not started, end a quota wait that is over, put
 * rows a dead worker left `sending` longer than the lease back in the queue,
 * make sure its delivery slots are queued while it has due messages, and
 * mark it sent when nothing is left.
 */
@Injectable()
export class CampaignScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Campaigns');
  private task: PeriodicTask | undefined;

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly queue: CampaignQueue,
    private readonly deliverer: CampaignDeliverer,
  ) {}

  onApplicationBootstrap(): void {
    this.task = runPeriodically(
      () => this.tick(),
      this.config.HERALD_SCHEDULER_TICK_MS,
      (error) => this.logger.error({ err: error }, 'campaign.tick_failed'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async tick(): Promise<void> {
    await this.claimDue();
    await this.reconcile();
  }

  /** Claims every due campaign; returns the ids that go on to start. */
  async claimDue(): Promise<string[]> {
    const claimed = await this.db.rows<{ id: string; state: CampaignState }>(campaignsSql.claimDue, [
      this.config.HERALD_SEND_GRACE_MINUTES,
    ]);
    const starting: string[] = [];
    for (const { id, state } of claimed) {
      if (state === 'needs_confirmation') {
        this.logger.warn({ campaignId: id }, 'campaign.needs_confirmation');
        continue;
      }
      this.logger.log({ campaignId: id }, 'campaign.due');
      starting.push(id);
      await this.queue.start(id);
    }
    return starting;
  }

  async reconcile(): Promise<void> {
    const leaseMs = this.config.HERALD_SEND_LEASE_SECONDS * 1000;
    for (const campaign of await this.db.rows<ActiveRow>(campaignsSql.active)) {
      const id = campaign.id;
      const reclaimed = await this.outbox.reclaimStale(id, leaseMs);
      if (reclaimed > 0) this.logger.warn({ campaignId: id, reclaimed }, 'campaign.reclaimed');
      if (campaign.state !== 'sending') continue;
      // A worker died mid-batch: its jobs may still look active in Redis.
      if (reclaimed > 0 && campaign.started_at !== null) await this.queue.deliver(id, true);
      if (campaign.started_at === null) {
        await this.queue.start(id);
        continue;
      }
      const waitUntil = campaign.waiting_for_quota_until;
      if (waitUntil !== null) {
        if (waitUntil.getTime() > this.clock.now()) continue;
        const ended = await this.db.execute(campaignsSql.endQuotaWait, [id, waitUntil]);
        if (ended > 0) this.logger.log({ campaignId: id }, 'campaign.quota_resumed');
      }
      const next = await this.outbox.nextAttemptAt(id);
      if (next === null) await this.deliverer.finishIfDone(id);
      else if (next.getTime() <= Date.now()) await this.queue.deliver(id);
    }
  }
}
