export * from './api-keys.service.js';
export * from './auth.guard.js';
export * from './auth.module.js';
export * from './auth.service.js';
