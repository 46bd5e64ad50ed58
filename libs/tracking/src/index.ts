export * from './message-source.js';
export * from './tracking-core.module.js';
export * from './tracking.module.js';
export * from './pages/page.js';
export * from './pages/not-found.js';
export { TrackingEvents, TrackingMetrics } from './events/tracking-events.js';
export { type MachineReason } from './events/machine.js';
export * from './reports/campaign-reports.js';
export * from './activity/message-activity.js';
