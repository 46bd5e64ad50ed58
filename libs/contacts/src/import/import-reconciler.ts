import { Db, HERALD_CONFIG, type HeraldConfig, type PeriodicTask, runPeriodically } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { enqueueImport, IMPORT_QUEUE } from './import-queue.js';
import { importLockKey, UNFINISHED_IMPORTS } from './import.sql.js';
import { UploadStore } from './upload-store.js';

/**
 * Postgres is the truth: at worker start, and then every
 * HERALD_RECONCILE_SECONDS, every import that is queued or running without a
 * live runner gets a job back — Redis may have lost it, or its worker died
 * holding it. It also removes uploads that never became an import (an api
 * stopped mid-upload).
 */
@Injectable()
export class ImportReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImportReconciler.name);
  private task: PeriodicTask | undefined;

  constructor(
    private readonly db: Db,
    private readonly uploads: UploadStore,
    @InjectQueue(IMPORT_QUEUE) private readonly queue: Queue,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.task = runPeriodically(
      () => this.reconcile(),
      this.config.HERALD_RECONCILE_SECONDS * 1000,
      (error) => this.logger.error({ err: error }, 'import.reconcile_failed'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.task?.stop();
  }

  async reconcile(): Promise<void> {
    const [lockSpace] = importLockKey('1');
    const rows = await this.db.rows<{ id: string; locked: boolean }>(UNFINISHED_IMPORTS, [lockSpace]);
    const orphans = rows.filter((r) => !r.locked);
    for (const { id } of orphans) await enqueueImport(this.queue, id, true);
    if (orphans.length > 0) this.logger.log({ imports: orphans.map((r) => r.id) }, 'import.reconciled');
    const abandoned = await this.uploads.discardAbandoned();
    if (abandoned > 0) this.logger.log({ uploads: abandoned }, 'import.uploads_discarded');
  }
}
