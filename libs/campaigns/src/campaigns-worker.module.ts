import { Module } from '@nestjs/common';
import { CampaignScheduler } from './campaign-scheduler.js';
import { CampaignsProcessor } from './campaigns.processor.js';
import { CampaignsCoreModule } from './campaigns-core.module.js';

/** The campaign job processor and the scheduler tick; loaded by worker processes only. */
@Module({
  imports: [CampaignsCoreModule],
  providers: [CampaignsProcessor, CampaignScheduler],
})
export class CampaignsWorkerModule {}
