import { AuthModule } from '@herald/auth';
import { ContactsModule } from '@herald/contacts';
import { DeliveryModule } from '@herald/delivery';
import { TrackingCoreModule } from '@herald/tracking';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { RelayLimits } from './limits.js';
import { RelayIntake } from './relay-intake.js';
import { RELAY_QUEUE, RelayQueue } from './relay-queue.js';
import { RelayStore } from './relay-store.js';

/** What the relay's SMTP server, the messages API and the delivery worker share. */
@Module({
  imports: [
    BullModule.registerQueue({ name: RELAY_QUEUE }),
    AuthModule,
    ContactsModule,
    DeliveryModule,
    TrackingCoreModule,
  ],
  providers: [RelayStore, RelayQueue, RelayLimits, RelayIntake],
  exports: [RelayStore, RelayQueue, RelayLimits, RelayIntake, AuthModule, ContactsModule, DeliveryModule],
})
export class RelayCoreModule {}
