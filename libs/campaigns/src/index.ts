export * from './campaigns.module.js';
