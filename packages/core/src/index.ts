/**
 * @vigil/core — the pure domain: error codes, access control, audit events
 * and authentication policies. No I/O: no sockets, files, environment or
 * wall clock; time comes from an injected Clock.
 */
export * from './errors/index.js';
export * from './time/clock.js';
export * from './access/index.js';
export * from './audit/index.js';
export * from './auth/index.js';
