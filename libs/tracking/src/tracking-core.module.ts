import { Module } from '@nestjs/common';
import { TrackingMetrics } from './events/tracking-events.js';
import { TrackedMessages } from './message-source.js';
import { CampaignReports } from './reports/campaign-reports.js';

/**
 * What campaigns and the public routes share: the registry of message
 * lookups, campaign reports from the counters, and the ingestion metrics
 * /metrics shows.
 */
@Module({
  providers: [TrackedMessages, TrackingMetrics, CampaignReports],
  exports: [TrackedMessages, TrackingMetrics, CampaignReports],
})
export class TrackingCoreModule {}
