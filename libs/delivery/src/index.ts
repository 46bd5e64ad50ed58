export * from './delivery.module.js';
export * from './messages/backoff.js';
export * from './messages/outbox.js';
export * from './mime/message-skeleton.js';
export * from './pool/sender-pool.js';
export * from './senders/sender.js';
export * from './throttle/throttle.js';
