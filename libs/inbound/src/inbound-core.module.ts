import { ContactsModule } from '@herald/contacts';
import { DeliveryModule } from '@herald/delivery';
import { TrackingCoreModule, UnsubscribeModule } from '@herald/tracking';
import { Module } from '@nestjs/common';
import { InboundIntake } from './inbound-intake.js';
import { InboundMessages } from './inbound-messages.service.js';

/** What the inbound listener and the inbound API share. */
@Module({
  imports: [ContactsModule, DeliveryModule, TrackingCoreModule, UnsubscribeModule],
  providers: [InboundIntake, InboundMessages],
  exports: [InboundIntake, InboundMessages],
})
export class InboundCoreModule {}
