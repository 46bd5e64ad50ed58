import { TemplatesModule } from '@herald/templates';
import { Module } from '@nestjs/common';
import { MessagesController } from './messages.controller.js';
import { TransactionalMessages } from './messages.service.js';
import { RelayCoreModule } from './relay-core.module.js';

/** The transactional messages API (`/api/v1/messages`), in api processes. */
@Module({
  imports: [RelayCoreModule, TemplatesModule],
  controllers: [MessagesController],
  providers: [TransactionalMessages],
})
export class RelayModule {}
