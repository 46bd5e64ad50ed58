import { SegmentsModule } from '@herald/segments';
import { Module } from '@nestjs/common';
import { MessageActivity } from './activity/message-activity.js';
import { TrackingEngagementRegistrar } from './events/engagement-registrar.js';
import { TrackingMetrics } from './events/tracking-events.js';
import { MailFeedback } from './feedback/feedback.js';
import { TrackedMessages } from './message-source.js';
import { CampaignReports } from './reports/campaign-reports.js';

/**
 * What campaigns and the public routes share: the registry of message
 * lookups, campaign reports from the counters, what recipients did with
 * given messages, the ingestion metrics
 * /metrics shows, the opened / clicked segment conditions, and the events of
 * bounces and complaints reported by mail.
 */
@Module({
  imports: [SegmentsModule],
  providers: [
    TrackedMessages,
    TrackingMetrics,
    CampaignReports,
    MessageActivity,
    TrackingEngagementRegistrar,
    MailFeedback,
  ],
  exports: [TrackedMessages, TrackingMetrics, CampaignReports, MessageActivity, MailFeedback],
})
export class TrackingCoreModule {}
