import { type JobPayloads } from '@herald/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { DelayedError, type Job, WaitingError } from 'bullmq';
import { IMPORT_QUEUE } from './import-queue.js';
import { ImportRunner } from './import-runner.js';

const RETRY_AFTER_LOST_MS = 1000;

/**
 * One import at a time per worker process: an import keeps a core busy.
 * When the process shuts down, the running import stops after the batch in
 * flight commits and its job goes back to the queue, where this or another
 * worker resumes it from the checkpoint. A run that lost its database
 * connection is retried the same way a moment later.
 */
@Processor(IMPORT_QUEUE, { concurrency: 1 })
export class ImportProcessor extends WorkerHost implements OnModuleDestroy {
  private readonly logger = new Logger(ImportProcessor.name);
  private readonly shutdown = new AbortController();

  constructor(private readonly runner: ImportRunner) {
    super();
  }

  async process(job: Job<JobPayloads['import.run']>, token?: string): Promise<string> {
    const outcome = await this.runner.run(job.data.importId, this.shutdown.signal);
    if (outcome === 'interrupted') {
      this.logger.warn({ importId: job.data.importId }, 'import.interrupted');
      await job.moveToWait(token);
      throw new WaitingError();
    }
    if (outcome === 'lost') {
      // Give the database a moment to come back; a run that finds it still away ends the same way.
      await job.moveToDelayed(Date.now() + RETRY_AFTER_LOST_MS, token);
      throw new DelayedError();
    }
    return outcome;
  }

  /** Runs before the BullMQ worker is closed (which waits for the active job). */
  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
