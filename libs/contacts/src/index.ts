export * from './attributes.js';
export * from './contacts.module.js';
export * from './contacts-worker.module.js';
export * from './email.js';
