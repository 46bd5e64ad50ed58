import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { Outbox } from './messages/outbox.js';
import { SenderPool } from './pool/sender-pool.js';
import { Throttle } from './throttle/throttle.js';

/** Senders, the sandbox inbox, and the machinery that hands messages to SMTP within each sender's limits. */
@Module({
  imports: [ContactsModule],
  controllers: [],
  providers: [Outbox, SenderPool, Throttle],
  exports: [Outbox, SenderPool, Throttle],
})
export class DeliveryModule {}
