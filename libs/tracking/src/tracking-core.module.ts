import { Module } from '@nestjs/common';
import { TrackedMessages } from './message-source.js';

/** What campaigns and the public routes share: the registry of message lookups. */
@Module({
  providers: [TrackedMessages],
  exports: [TrackedMessages],
})
export class TrackingCoreModule {}
