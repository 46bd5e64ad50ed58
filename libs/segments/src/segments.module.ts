import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { SegmentsController } from './segments.controller.js';
import { SegmentsService } from './segments.service.js';

/** Segments sit above contacts: they compile rules over contacts and run them through the contacts lib. */
@Module({
  imports: [ContactsModule],
  controllers: [SegmentsController],
  providers: [SegmentsService],
  exports: [SegmentsService],
})
export class SegmentsModule {}
