import { DeliveryModule } from '@herald/delivery';
import { SegmentsModule } from '@herald/segments';
import { TemplatesModule } from '@herald/templates';
import { Module } from '@nestjs/common';

/** Campaigns: their state machine, scheduling, audience snapshot, delivery batches and reports. */
@Module({
  imports: [DeliveryModule, SegmentsModule, TemplatesModule],
  controllers: [],
  providers: [],
  exports: [],
})
export class CampaignsModule {}
