import { ContactsModule } from '@herald/contacts';
import { Module } from '@nestjs/common';
import { TrackingCoreModule } from '../tracking-core.module.js';
import { UnsubscribeController } from './unsubscribe.controller.js';
import { UnsubscribeService } from './unsubscribe.service.js';

/** The unsubscribe page, the preference centre and RFC 8058 one-click (`/u/:token`). */
@Module({
  imports: [TrackingCoreModule, ContactsModule],
  controllers: [UnsubscribeController],
  providers: [UnsubscribeService],
  exports: [UnsubscribeService],
})
export class UnsubscribeModule {}
