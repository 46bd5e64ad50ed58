import { type JobPayloads } from '@herald/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { type Job, WaitingError } from 'bullmq';
import { IMPORT_QUEUE } from './import-queue.js';
import { ImportRunner } from './import-runner.js';

/**
 * One import at a time per worker process: an import keeps a core busy.
 * When the process shuts down, the running import stops after the batch in
 * flight commits and its job goes back to the queue, where this or another
 * worker resumes it from the checkpoint.
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
    return outcome;
  }

  /** Runs before the BullMQ worker is closed (which waits for the active job). */
  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
