export * from './compiler.js';
export * from './engagement.js';
export * from './rules.js';
export * from './segments.module.js';
export * from './segments.service.js';
