import { enqueueOnce, type JobPayloads, QUEUES } from '@herald/common';
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
    await enqueueOnce(this.queue, PROCESS_JOB, { signupId }, processJobId(signupId), delayMs);
  }
}
