import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { IMPORT_QUEUE } from './import-queue.js';
import { ImportsController } from './imports.controller.js';
import { ImportsService } from './imports.service.js';
import { UploadErrorsInterceptor } from './upload-errors.interceptor.js';
import { PostgresCsvStorage } from './upload-storage.js';
import { UploadStore } from './upload-store.js';

/** CSV imports: upload, status and errors endpoints (API side). */
@Module({
  imports: [
    BullModule.registerQueue({ name: IMPORT_QUEUE }),
    MulterModule.registerAsync({
      inject: [HERALD_CONFIG, DataSource],
      useFactory: (config: HeraldConfig, db: DataSource) => ({
        storage: new PostgresCsvStorage(new UploadStore(db)),
        limits: { fileSize: config.HERALD_IMPORT_MAX_BYTES, files: 1, fields: 10, fieldSize: 100_000, parts: 12 },
      }),
    }),
  ],
  controllers: [ImportsController],
  providers: [ImportsService, UploadStore, UploadErrorsInterceptor],
})
export class ImportsModule {}
