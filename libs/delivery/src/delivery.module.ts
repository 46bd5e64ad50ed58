import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';

/** Senders, the sandbox inbox, and the machinery that hands messages to SMTP within each sender's limits. */
@Module({
  imports: [ContactsModule],
  controllers: [],
  providers: [],
  exports: [],
})
export class DeliveryModule {}
