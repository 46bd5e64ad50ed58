import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { WebhookDeliverer } from './webhook-deliverer.js';
import { WebhookPost } from './webhook-post.js';
import { WEBHOOK_QUEUE, WebhookQueue } from './webhook-queue.js';
import { WebhookSink } from './webhook-sink.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * What every process that produces events or sends them needs: the sink
 * registered with common's `OutgoingEvents`, the checked HTTP client, the
 * deliverer and the queue. The api and the workers both load it.
 */
@Module({
  imports: [BullModule.registerQueue({ name: WEBHOOK_QUEUE })],
  providers: [WebhookSink, WebhookPost, WebhookDeliverer, WebhookQueue, WebhooksService],
  exports: [WebhookSink, WebhookPost, WebhookDeliverer, WebhookQueue, WebhooksService],
})
export class WebhooksCoreModule {}
