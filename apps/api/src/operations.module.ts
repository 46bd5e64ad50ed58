import { CampaignsCoreModule } from '@herald/campaigns';
import { QUEUES } from '@herald/common';
import { ContactsModule } from '@herald/contacts';
import { TrackingCoreModule } from '@herald/tracking';
import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService, QUEUE_LIST } from './metrics.service.js';

/** `/health` and `/metrics`: what an operator and a load balancer look at. */
@Module({
  // Every queue of the catalogue, with the app's BullMQ connection and prefix, for the job counts.
  imports: [
    ContactsModule,
    CampaignsCoreModule,
    TrackingCoreModule,
    BullModule.registerQueue(...Object.values(QUEUES).map((name) => ({ name }))),
  ],
  controllers: [HealthController, MetricsController],
  providers: [
    MetricsService,
    {
      provide: QUEUE_LIST,
      useFactory: (...queues: Queue[]) => queues,
      inject: Object.values(QUEUES).map((name) => getQueueToken(name)),
    },
  ],
})
export class OperationsModule {}
