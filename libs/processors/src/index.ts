export * from './processors.module.js';
