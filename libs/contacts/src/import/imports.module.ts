import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { join, resolve } from 'node:path';
import { IMPORT_QUEUE } from './import-queue.js';
import { ImportsController } from './imports.controller.js';
import { ImportsService } from './imports.service.js';
import { InspectingCsvStorage } from './upload-storage.js';

export const uploadDir = (config: HeraldConfig): string => join(resolve(config.HERALD_DATA_DIR), 'uploads');

/** CSV imports: upload, status and errors endpoints (API side). */
@Module({
  imports: [
    BullModule.registerQueue({ name: IMPORT_QUEUE }),
    MulterModule.registerAsync({
      inject: [HERALD_CONFIG],
      useFactory: (config: HeraldConfig) => ({
        storage: new InspectingCsvStorage(uploadDir(config)),
        limits: { fileSize: config.HERALD_IMPORT_MAX_BYTES, files: 1, fields: 10, fieldSize: 100_000, parts: 12 },
      }),
    }),
  ],
  controllers: [ImportsController],
  providers: [ImportsService],
})
export class ImportsModule {}
