import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { EngagementConditions } from './engagement.js';
import { SegmentsController } from './segments.controller.js';
import { SegmentsService } from './segments.service.js';

/**
 * Segments sit above contacts: they compile rules over contacts and run them
 * through the contacts lib. `EngagementConditions` is where the delivery lib,
 * above this one, registers the SQL of engagement conditions.
 */
@Module({
  imports: [ContactsModule],
  controllers: [SegmentsController],
  providers: [SegmentsService, EngagementConditions],
  exports: [SegmentsService, EngagementConditions],
})
export class SegmentsModule {}
