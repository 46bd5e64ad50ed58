import { TemplatesModule } from '@herald/templates';
import { TrackingCoreModule } from '@herald/tracking';
import { Module } from '@nestjs/common';
import { MessagesController } from './messages.controller.js';
import { TransactionalMessages } from './messages.service.js';
import { RelayCoreModule } from './relay-core.module.js';
import { RelayLinks } from './relay-links.js';

/** The transactional messages API (`/api/v1/messages`) and where its messages' clicks lead, in api processes. */
@Module({
  imports: [RelayCoreModule, TemplatesModule, TrackingCoreModule],
  controllers: [MessagesController],
  providers: [TransactionalMessages, RelayLinks],
})
export class RelayModule {}
