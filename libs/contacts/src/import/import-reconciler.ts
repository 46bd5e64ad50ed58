import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { enqueueImport, IMPORT_QUEUE } from './import-queue.js';
import { UNFINISHED_IMPORTS } from './import.sql.js';

/**
 * Postgres is the truth: at worker start every import that is queued or
 * running gets its job back, in case Redis lost it or it was never added.
 * Enqueueing is idempotent by job id, so a job that is still waiting or
 * active (BullMQ's stalled check recovers those of a dead worker) is left as is.
 */
@Injectable()
export class ImportReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ImportReconciler.name);

  constructor(
    private readonly db: DataSource,
    @InjectQueue(IMPORT_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const rows = await this.db.query<{ id: string }[]>(UNFINISHED_IMPORTS);
    for (const { id } of rows) await enqueueImport(this.queue, id);
    if (rows.length > 0) this.logger.log({ imports: rows.map((r) => r.id) }, 'import.reconciled');
  }
}
