import { ENQUEUE_TIMEOUT_MS, type JobPayloads, QUEUES, withDeadline } from '@herald/common';
import type { Queue } from 'bullmq';

export const IMPORT_QUEUE = QUEUES.imports;
export const IMPORT_JOB = 'import.run' satisfies keyof JobPayloads;

/**
 * Makes sure a job will run import `importId`. Job ids are deterministic, so
 * enqueueing twice is harmless; a finished job with the id would make BullMQ
 * ignore the add, so one left over is removed first.
 *
 * `orphaned` says no live runner holds the import's lock: if its job is
 * still marked active, it belongs to a dead worker, and rather than wait for
 * BullMQ's stalled check (tens of seconds; a job that stalls twice is
 * failed) a recovery job with its own fixed id is added beside it. Running
 * an import twice is safe: the Postgres lock and checkpoint end the extra run
 * at once.
 */
export function enqueueImport(queue: Queue, importId: string, orphaned = false): Promise<void> {
  return withDeadline(addImportJob(queue, importId, orphaned), ENQUEUE_TIMEOUT_MS, 'redis');
}

async function addImportJob(queue: Queue, importId: string, orphaned: boolean): Promise<void> {
  const payload: JobPayloads['import.run'] = { importId };
  for (const jobId of [`import-${importId}`, `import-${importId}-recovery`]) {
    const existing = await queue.getJob(jobId);
    const state = existing ? await existing.getState() : 'unknown';
    if (state === 'active' && orphaned) continue;
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return;
    await existing?.remove();
    await queue.add(IMPORT_JOB, payload, { jobId, removeOnComplete: true, removeOnFail: true });
    return;
  }
}
