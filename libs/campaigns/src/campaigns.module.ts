import { Module } from '@nestjs/common';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsCoreModule } from './campaigns-core.module.js';

/** Campaigns: their state machine, scheduling, audience snapshot, delivery batches and reports. */
@Module({
  imports: [CampaignsCoreModule],
  controllers: [CampaignsController],
  exports: [CampaignsCoreModule],
})
export class CampaignsModule {}
