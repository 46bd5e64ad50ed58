import { Module } from '@nestjs/common';

/** CSV imports: upload, status and errors endpoints (API side). */
@Module({})
export class ImportsModule {}
