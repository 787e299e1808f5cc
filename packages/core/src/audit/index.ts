export * from './event-types.js';
export * from './audit-event.js';
