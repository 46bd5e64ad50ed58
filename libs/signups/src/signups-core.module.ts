import { ContactsModule } from '@herald/contacts';
import { DeliveryModule } from '@herald/delivery';
import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { ConfirmTokens } from './confirm-token.js';
import { FormsService } from './forms.service.js';
import { SignupIpLimit } from './ip-limit.js';
import { SIGNUP_QUEUE, SignupQueue } from './signup-queue.js';
import { SignupsService } from './signups.service.js';

/** What the api and the workers share: form settings, submissions, confirmation tokens and the queue. */
@Module({
  imports: [BullModule.registerQueue({ name: SIGNUP_QUEUE }), ContactsModule, DeliveryModule],
  providers: [FormsService, SignupsService, SignupIpLimit, SignupQueue, ConfirmTokens],
  exports: [FormsService, SignupsService, SignupQueue, ConfirmTokens, ContactsModule, DeliveryModule],
})
export class SignupsCoreModule {}
