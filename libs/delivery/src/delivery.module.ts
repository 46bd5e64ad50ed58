import { ContactsModule } from '@herald/contacts';
import { SegmentsModule } from '@herald/segments';
import { Module } from '@nestjs/common';
import { EngagementRegistrar } from './messages/engagement-registrar.js';
import { Outbox } from './messages/outbox.js';
import { SenderPool } from './pool/sender-pool.js';
import { Throttle } from './throttle/throttle.js';

/** Senders, the sandbox inbox, and the machinery that hands messages to SMTP within each sender's limits. */
@Module({
  imports: [ContactsModule, SegmentsModule],
  controllers: [],
  providers: [Outbox, SenderPool, Throttle, EngagementRegistrar],
  exports: [Outbox, SenderPool, Throttle],
})
export class DeliveryModule {}
