import { ContactsModule } from '@herald/contacts';
import { TrackingCoreModule } from '@herald/tracking';
import { Module } from '@nestjs/common';
import { CampaignActivity } from './campaign-activity.js';
import { CampaignActivityController, ContactActivityController } from './campaign-activity.controller.js';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsCoreModule } from './campaigns-core.module.js';

/** Campaigns: their state machine, scheduling, audience snapshot, delivery batches and reports. */
@Module({
  imports: [CampaignsCoreModule, ContactsModule, TrackingCoreModule],
  controllers: [CampaignsController, CampaignActivityController, ContactActivityController],
  providers: [CampaignActivity],
  exports: [CampaignsCoreModule],
})
export class CampaignsModule {}
