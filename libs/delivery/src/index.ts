export * from './delivery.module.js';
export * from './senders/sender.js';
export * from './senders/senders.service.js';
export * from './mime/message-skeleton.js';
export * from './pool/sender-pool.js';
export * from './throttle/throttle.js';
export * from './messages/outbox.js';
