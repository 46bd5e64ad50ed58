import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
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
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: DataSource,
    private readonly uploads: UploadStore,
    @InjectQueue(IMPORT_QUEUE) private readonly queue: Queue,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((error: unknown) => this.logger.error({ err: error }, 'import.reconcile_failed'))
        .finally(() => (this.running = undefined));
    }, this.config.HERALD_RECONCILE_SECONDS * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async reconcile(): Promise<void> {
    const [lockSpace] = importLockKey('1');
    const rows = await this.db.query<{ id: string; locked: boolean }[]>(UNFINISHED_IMPORTS, [lockSpace]);
    const orphans = rows.filter((r) => !r.locked);
    for (const { id } of orphans) await enqueueImport(this.queue, id, true);
    if (orphans.length > 0) this.logger.log({ imports: orphans.map((r) => r.id) }, 'import.reconciled');
    const abandoned = await this.uploads.discardAbandoned();
    if (abandoned > 0) this.logger.log({ uploads: abandoned }, 'import.uploads_discarded');
  }
}
