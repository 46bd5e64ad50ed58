import { enqueueOnce, type JobPayloads, QUEUES } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { Queue } from 'bullmq';

export const RELAY_QUEUE = QUEUES.relay;
export const DELIVER_JOB = 'relay.deliver' satisfies keyof JobPayloads;

/** One job id per recipient row: adding it again while it waits or runs is a no-op. */
export const deliverJobId = (messageId: string) => `relay-${messageId}`;

/** Adds delivery jobs; the payload is the `messages` row's id (invariant 5). */
@Injectable()
export class RelayQueue {
  private readonly logger = new Logger('Relay');

  constructor(@InjectQueue(RELAY_QUEUE) private readonly queue: Queue) {}

  async deliver(messageId: string, delayMs = 0): Promise<void> {
    await enqueueOnce(this.queue, DELIVER_JOB, { messageId }, deliverJobId(messageId), delayMs);
  }

  /**
   * After a message is stored: its rows are the truth, so a job that cannot
   * be added now (Redis down) is added by the tick later, and the client
   * still gets its 250.
   */
  async deliverSoon(messageIds: string[]): Promise<void> {
    try {
      for (const id of messageIds) await this.deliver(id);
    } catch (error) {
      this.logger.warn({ err: error }, 'relay.enqueue_failed');
    }
  }
}
