import { Module } from '@nestjs/common';
import { BUFFER_LIMITS, DEFAULT_LIMITS, TrackingEvents } from './events/tracking-events.js';
import { TrackingCoreModule } from './tracking-core.module.js';
import { UnsubscribeModule } from './unsubscribe/unsubscribe.module.js';
import { TrackingController } from './tracking.controller.js';

/**
 * Everything a recipient does with a Herald email: opens, clicks, the web
 * view, unsubscribes; the events they leave and the counters reports read.
 * Its routes are public and live outside `/api/v1`. The event buffer lives
 * in api processes only (workers answer no recipient).
 */
@Module({
  imports: [TrackingCoreModule, UnsubscribeModule],
  controllers: [TrackingController],
  providers: [TrackingEvents, { provide: BUFFER_LIMITS, useValue: DEFAULT_LIMITS }],
  exports: [TrackingCoreModule, TrackingEvents],
})
export class TrackingModule {}
