export * from './contacts.module.js';
export * from './contacts-worker.module.js';
