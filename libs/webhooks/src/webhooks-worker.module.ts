import { Module } from '@nestjs/common';
import { WebhooksProcessor, WebhookTick } from './webhook-worker.js';
import { WebhooksCoreModule } from './webhooks-core.module.js';

/** Batching events and posting them; loaded by worker processes only. */
@Module({
  imports: [WebhooksCoreModule],
  providers: [WebhooksProcessor, WebhookTick],
})
export class WebhooksWorkerModule {}
