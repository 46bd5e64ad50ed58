import {
  enqueueAllOnce,
  enqueueOnce,
  HERALD_CONFIG,
  type HeraldConfig,
  type JobPayloads,
  type JobSpec,
  QUEUES,
} from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

export const CAMPAIGN_QUEUE = QUEUES.campaigns;
export const START_JOB = 'campaign.start' satisfies keyof JobPayloads;
export const DELIVER_JOB = 'campaign.deliver' satisfies keyof JobPayloads;

/**
 * Job ids are deterministic, so adding a job that is waiting or running is a
 * no-op (enqueueOnce) and the reconciler can add every slot on every tick.
 * BullMQ refuses ids with a colon (other than its own three-part form),
 * hence dashes. Finished jobs are removed at once, so the id is free for the
 * next add.
 */
export const startJobId = (campaignId: string) => `campaign-${campaignId}-start`;
export const deliverJobId = (campaignId: string, slot: number, recovery = false) =>
  `campaign-${campaignId}-${recovery ? 'recovery' : 'slot'}-${slot}`;

/** Adds campaign jobs; the payloads are ids only (invariant 5). */
@Injectable()
export class CampaignQueue {
  constructor(
    @InjectQueue(CAMPAIGN_QUEUE) private readonly queue: Queue,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async start(campaignId: string): Promise<void> {
    await enqueueOnce(this.queue, START_JOB, { campaignId }, startJobId(campaignId));
  }

  /**
   * Every delivery slot of the campaign; the ones already waiting or running
   * stay as they are. `recovery` adds a second set beside slots a dead
   * worker may still hold as active in Redis until BullMQ finds them
   * stalled: extra concurrency for a moment is harmless (claims skip each
   * other's rows), a campaign standing still is not.
   */
  async deliver(campaignId: string, recovery = false): Promise<void> {
    const jobs = Array.from({ length: this.config.HERALD_DELIVER_SLOTS }, (_, slot): JobSpec => ({
      name: DELIVER_JOB,
      data: { campaignId, slot },
      jobId: deliverJobId(campaignId, slot, recovery),
    }));
    await enqueueAllOnce(this.queue, jobs);
  }
}
