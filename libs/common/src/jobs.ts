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

/** One job for `enqueueAllOnce`: a name of the catalogue with its payload. */
export type JobSpec = {
  [N in JobName]: { name: N; data: JobPayloads[N]; jobId: string; delayMs?: number };
}[JobName];

interface Pending {
  name: JobName;
  data: JobPayloads[JobName];
  jobId: string;
  delayMs?: number;
}

/** States of a job that will still run, or is running: adding its id again leaves it as it is. */
const LIVE: ReadonlySet<string> = new Set(['waiting', 'delayed', 'prioritized', 'active', 'waiting-children']);

/**
 * Adds job `name` under `jobId`, after `delayMs`, within ENQUEUE_TIMEOUT_MS.
 * The id makes adding it again while it waits or runs a no-op; a job runs
 * once (its row in Postgres decides what a retry is), and leaves nothing in
 * Redis when it ends.
 */
export async function enqueueOnce<N extends JobName>(
  queue: Queue,
  name: N,
  data: JobPayloads[N],
  jobId: string,
  delayMs = 0,
): Promise<void> {
  await withDeadline(addUnlessLive(queue, [{ name, data, jobId, delayMs }]), ENQUEUE_TIMEOUT_MS, 'redis');
}

/** `enqueueOnce` for several jobs of one queue, added in one go. */
export async function enqueueAllOnce(queue: Queue, jobs: readonly JobSpec[]): Promise<void> {
  await withDeadline(addUnlessLive(queue, jobs), ENQUEUE_TIMEOUT_MS, 'redis');
}

/**
 * BullMQ ignores an add whose id already has a job hash. Redis can keep that
 * hash while losing the list or sorted set entry that pointed at it (key
 * eviction under maxmemory, a partial restore): the job then reads
 * 'unknown', never runs, and would block its id for good, so the row the
 * reconcilers keep re-adding would never be handled. So an id that is not
 * waiting or running (a finished job left behind included) is removed
 * before it is added; for an id with no hash, the usual case of a new job,
 * the removal finds nothing. Between the state read and the removal, a job a
 * concurrent caller added is removed and added again, still one job; one a
 * worker took holds its lock, which makes the removal answer 0 and leaves it
 * to run (so is an orphan whose worker is still on it, until its lock
 * expires); one that ran and ended is added again, and its row's checks make
 * the second run do nothing.
 */
async function addUnlessLive(queue: Queue, jobs: readonly Pending[]): Promise<void> {
  // Sent together, these cost one round trip; for a job already waiting or
  // running, the usual case on a tick, nothing else is asked.
  const states = await Promise.all(jobs.map((job) => queue.getJobState(job.jobId)));
  const absent = jobs.filter((_, i) => !LIVE.has(states[i]));
  if (absent.length === 0) return;
  const freed = await Promise.all(absent.map((job) => queue.remove(job.jobId)));
  const adds = absent.filter((_, i) => freed[i] === 1);
  if (adds.length === 0) return;
  await queue.addBulk(
    adds.map(({ name, data, jobId, delayMs = 0 }) => ({
      name,
      data,
      opts: {
        jobId,
        delay: Math.max(0, Math.ceil(delayMs)),
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 1,
      },
    })),
  );
}
