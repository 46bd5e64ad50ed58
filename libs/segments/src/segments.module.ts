import { SEGMENT_RESOLVER } from '@herald/common';
import { Global, Module } from '@nestjs/common';
import { SegmentsController } from './segments.controller.js';
import { SegmentsService } from './segments.service.js';

/**
 * Global so that libs beside this one (contacts export, later campaigns)
 * inject SEGMENT_RESOLVER without importing `@herald/segments`.
 */
@Global()
@Module({
  controllers: [SegmentsController],
  providers: [SegmentsService, { provide: SEGMENT_RESOLVER, useExisting: SegmentsService }],
  exports: [SegmentsService, SEGMENT_RESOLVER],
})
export class SegmentsModule {}
