export * from './api-keys.service.js';
export * from './auth.guard.js';
export * from './auth.module.js';
export * from './auth.service.js';
export * from './login-throttle.js';
export * from './roles.js';
export * from './users.service.js';
