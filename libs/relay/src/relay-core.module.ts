import { AuthModule } from '@herald/auth';
import { ContactsModule } from '@herald/contacts';
import { DeliveryModule } from '@herald/delivery';
import { TrackingCoreModule } from '@herald/tracking';
import { Module } from '@nestjs/common';
import { RelayLimits } from './limits.js';
import { RelayIntake } from './relay-intake.js';
import { RelayStore } from './relay-store.js';

/** What the relay's SMTP server, the messages API and the delivery worker share. */
@Module({
  imports: [AuthModule, ContactsModule, DeliveryModule, TrackingCoreModule],
  providers: [RelayStore, RelayLimits, RelayIntake],
  exports: [RelayStore, RelayLimits, RelayIntake, AuthModule, ContactsModule, DeliveryModule],
})
export class RelayCoreModule {}
