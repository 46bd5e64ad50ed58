import { type JobPayloads } from '@herald/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { type OnModuleDestroy } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CampaignDeliverer } from './campaign-deliverer.js';
import { CAMPAIGN_QUEUE, DELIVER_JOB, START_JOB } from './campaign-queue.js';
import { CampaignStarter } from './campaign-starter.js';

type CampaignJob =
  | Job<JobPayloads['campaign.start'], unknown, typeof START_JOB>
  | Job<JobPayloads['campaign.deliver'], unknown, typeof DELIVER_JOB>;

/**
 * Campaign jobs of every campaign share this worker's slots: a delivery job
 * spends most of its time waiting for throttle slots and SMTP replies, so a
 * process runs several. On shutdown running jobs stop between messages,
 * give back what they claimed and end; the tick of a live worker adds the
 * slots again. A short job lock makes BullMQ notice the jobs of a killed
 * worker within seconds (the loop is asynchronous, so renewing it is cheap);
 * the reconciler adds recovery jobs when it reclaims such a worker's rows.
 */
@Processor(CAMPAIGN_QUEUE, { concurrency: 16, lockDuration: 10_000, stalledInterval: 5_000 })
export class CampaignsProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  constructor(
    private readonly starter: CampaignStarter,
    private readonly deliverer: CampaignDeliverer,
  ) {
    super();
  }

  async process(job: CampaignJob): Promise<string> {
    switch (job.name) {
      case START_JOB:
        return this.starter.start(job.data.campaignId);
      case DELIVER_JOB:
        return this.deliverer.deliver(job.data.campaignId, this.shutdown.signal);
    }
  }

  /** Runs before the BullMQ worker is closed (which waits for the active jobs). */
  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
