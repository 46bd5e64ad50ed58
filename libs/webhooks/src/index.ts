export { AllowedHosts, guardedLookup, isPublicAddress } from './address-guard.js';
export { signature, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './webhook-post.js';
export { WebhooksCoreModule } from './webhooks-core.module.js';
export { WebhooksModule } from './webhooks.module.js';
export { WebhooksWorkerModule } from './webhooks-worker.module.js';
export { WebhookTick } from './webhook-worker.js';
