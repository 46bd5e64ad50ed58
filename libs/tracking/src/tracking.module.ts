import { Module } from '@nestjs/common';
import { TrackingCoreModule } from './tracking-core.module.js';
import { UnsubscribeModule } from './unsubscribe/unsubscribe.module.js';

/**
 * Everything a recipient does with a Herald email: opens, clicks, the web
 * view, unsubscribes; the events they leave and the counters reports read.
 * Its routes are public and live outside `/api/v1`.
 */
@Module({
  imports: [TrackingCoreModule, UnsubscribeModule],
  exports: [TrackingCoreModule],
})
export class TrackingModule {}
