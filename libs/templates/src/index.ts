export * from './templates.module.js';
