export * from './inbound-core.module.js';
export * from './inbound-intake.js';
export * from './inbound-messages.service.js';
export * from './inbound-server.js';
export * from './inbound-server.module.js';
export * from './inbound.module.js';
export * from './report-parser.js';
