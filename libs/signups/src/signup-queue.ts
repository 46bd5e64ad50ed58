import { ENQUEUE_TIMEOUT_MS, type JobPayloads, QUEUES, withDeadline } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';

export const SIGNUP_QUEUE = QUEUES.signups;
export const PROCESS_JOB = 'signup.process' satisfies keyof JobPayloads;

/** One job id per submission: adding it again while it waits or runs is a no-op. */
export const processJobId = (signupId: string) => `signup-${signupId}`;

/** Adds sign-up jobs; the payload is the submission's id (invariant 5). */
@Injectable()
export class SignupQueue {
  constructor(@InjectQueue(SIGNUP_QUEUE) private readonly queue: Queue) {}

  async process(signupId: string, delayMs = 0): Promise<void> {
    const data: JobPayloads['signup.process'] = { signupId };
    await withDeadline(
      this.queue.add(PROCESS_JOB, data, {
        jobId: processJobId(signupId),
        delay: Math.max(0, Math.ceil(delayMs)),
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 1,
      }),
      ENQUEUE_TIMEOUT_MS,
      'redis',
    );
  }
}
