export * from './forms.service.js';
export * from './signups-core.module.js';
export * from './signups.module.js';
export * from './signups-worker.module.js';
export * from './signups.service.js';
