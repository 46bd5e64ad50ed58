import { BullModule } from '@nestjs/bullmq';
import { ContactsModule } from '@herald/contacts';
import { DeliveryModule } from '@herald/delivery';
import { SegmentsModule } from '@herald/segments';
import { TemplatesModule } from '@herald/templates';
import { TrackingCoreModule } from '@herald/tracking';
import { Module } from '@nestjs/common';
import { CampaignChecklist } from './campaign-checklist.js';
import { CampaignDeliverer } from './campaign-deliverer.js';
import { CampaignGuard } from './campaign-guard.js';
import { CampaignMessages } from './campaign-messages.js';
import { CAMPAIGN_QUEUE, CampaignQueue } from './campaign-queue.js';
import { CampaignStarter } from './campaign-starter.js';
import { CampaignsService } from './campaigns.service.js';
import { RateMeter, SendMetrics } from './send-metrics.js';

/** What the api and the workers share: the service, the sending path, the queue and the counters. */
@Module({
  imports: [
    BullModule.registerQueue({ name: CAMPAIGN_QUEUE }),
    ContactsModule,
    DeliveryModule,
    SegmentsModule,
    TemplatesModule,
    TrackingCoreModule,
  ],
  providers: [
    CampaignsService,
    CampaignChecklist,
    CampaignDeliverer,
    CampaignGuard,
    CampaignMessages,
    CampaignStarter,
    CampaignQueue,
    SendMetrics,
    RateMeter,
  ],
  exports: [
    CampaignsService,
    CampaignDeliverer,
    CampaignStarter,
    CampaignQueue,
    SendMetrics,
    RateMeter,
    DeliveryModule,
  ],
})
export class CampaignsCoreModule {}
