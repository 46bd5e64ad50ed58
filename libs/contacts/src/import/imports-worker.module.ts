import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { IMPORT_QUEUE } from './import-queue.js';
import { ImportProcessor } from './import.processor.js';
import { ImportReconciler } from './import-reconciler.js';
import { ImportRunner } from './import-runner.js';
import { UploadStore } from './upload-store.js';

/** The import job processor; loaded by worker processes only. */
@Module({
  imports: [BullModule.registerQueue({ name: IMPORT_QUEUE })],
  providers: [ImportRunner, ImportProcessor, ImportReconciler, UploadStore],
})
export class ImportsWorkerModule {}
