import { type JobPayloads, QUEUES } from '@herald/common';
import type { Queue } from 'bullmq';

export const IMPORT_QUEUE = QUEUES.imports;
export const IMPORT_JOB = 'import.run' satisfies keyof JobPayloads;

/**
 * Makes sure exactly one job runs import `importId`. The job id is
 * deterministic, so enqueueing twice is harmless; a finished job with that id
 * would make BullMQ ignore the add, so one left over is removed first.
 */
export async function enqueueImport(queue: Queue, importId: string): Promise<void> {
  const jobId = `import-${importId}`;
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
    await existing.remove();
  }
  const payload: JobPayloads['import.run'] = { importId };
  await queue.add(IMPORT_JOB, payload, { jobId, removeOnComplete: true, removeOnFail: true });
}
