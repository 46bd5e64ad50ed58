export * from './csv-format.js';
export * from './import-queue.js';
export * from './import-runner.js';
export * from './imports.dto.js';
export * from './imports.service.js';
export * from './mapping.js';
