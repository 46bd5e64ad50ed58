import { enqueueOnce, type JobPayloads, QUEUES } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

export const WEBHOOK_QUEUE = QUEUES.webhooks;
export const DELIVER_JOB = 'webhook.deliver' satisfies keyof JobPayloads;

/** One job id per delivery: adding it again while it waits or runs is a no-op. */
export const deliverJobId = (deliveryId: string) => `webhook-${deliveryId}`;

/** Adds delivery jobs; the payload is the delivery's id (invariant 5). */
@Injectable()
export class WebhookQueue {
  constructor(@InjectQueue(WEBHOOK_QUEUE) private readonly queue: Queue) {}

  async deliver(deliveryId: string, delayMs = 0): Promise<void> {
    await enqueueOnce(this.queue, DELIVER_JOB, { deliveryId }, deliverJobId(deliveryId), delayMs);
  }
}
