import { Module } from '@nestjs/common';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksCoreModule } from './webhooks-core.module.js';

/** `/api/v1/webhooks`: endpoints, secrets, test events and the delivery log. */
@Module({
  imports: [WebhooksCoreModule],
  controllers: [WebhooksController],
})
export class WebhooksModule {}
