import type { Queue } from 'bullmq';
import { withDeadline } from './dependencies.js';
import { ENQUEUE_TIMEOUT_MS } from './redis.js';
/**
 * The job catalogue: every queue, its job names and their payloads. Jobs
 * carry ids, never data; the handler re-reads state from Postgres.
 */
export const QUEUES = {
  imports: 'imports',
  campaigns: 'campaigns',
  signups: 'signups',
  webhooks: 'webhooks',
} as const;

export interface JobPayloads {
  'import.run': { importId: string };
  /** Freeze, compile and snapshot the audience of a campaign the scheduler or a marketer started. */
  'campaign.start': { campaignId: string };
  /** One of a sending campaign's delivery slots (HERALD_DELIVER_SLOTS): claims and sends batches until none is left. */
  'campaign.deliver': { campaignId: string; slot: number };
  /** Decide a sign-up form submission (subscribe at once or ask for confirmation) and send its confirmation mail. */
  'signup.process': { signupId: string };
  /** POST one batch of events (`webhook_deliveries.id`) to its endpoint; retried from the row with backoff. */
  'webhook.deliver': { deliveryId: string };
}

export type JobName = keyof JobPayloads;

/**
 * Adds job `name` under `jobId`, after `delayMs`, within ENQUEUE_TIMEOUT_MS.
 * The id makes adding it again while it waits or runs a no-op; a job runs
 * once (its row in Postgres decides what a retry is), and leaves nothing in
 * Redis when it ends.
 */
export async function enqueueOnce<N extends keyof JobPayloads>(
  queue: Queue,
  name: N,
  data: JobPayloads[N],
  jobId: string,
  delayMs = 0,
): Promise<void> {
  await withDeadline(
    queue.add(name, data, {
      jobId,
      delay: Math.max(0, Math.ceil(delayMs)),
      removeOnComplete: true,
      removeOnFail: true,
      attempts: 1,
    }),
    ENQUEUE_TIMEOUT_MS,
    'redis',
  );
}
