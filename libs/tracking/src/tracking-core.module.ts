import { SegmentsModule } from '@herald/segments';
import { Module } from '@nestjs/common';
import { MessageActivity } from './activity/message-activity.js';
import { TrackingEngagementRegistrar } from './events/engagement-registrar.js';
import { TrackingMetrics } from './events/tracking-events.js';
import { TrackedMessages } from './message-source.js';
import { CampaignReports } from './reports/campaign-reports.js';

/**
 * What campaigns and the public routes share: the registry of message
 * lookups, campaign reports from the counters, what recipients did with
 * given messages, the ingestion metrics
 * /metrics shows, and the opened / clicked segment conditions.
 */
@Module({
  imports: [SegmentsModule],
  providers: [TrackedMessages, TrackingMetrics, CampaignReports, MessageActivity, TrackingEngagementRegistrar],
  exports: [TrackedMessages, TrackingMetrics, CampaignReports, MessageActivity],
})
export class TrackingCoreModule {}
