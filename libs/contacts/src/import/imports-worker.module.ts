import { Module } from '@nestjs/common';

/** The import job processor; loaded by worker processes only. */
@Module({})
export class ImportsWorkerModule {}
