/**
 * The persistence seam: `openStore` gives a `Store` on SQLite or PostgreSQL.
 * Everything else in this folder is internal (see README.md).
 */
export { openStore, type OpenStoreOptions } from './open-store.js';
export type { StoreLocation } from './open-database.js';
export type { StoreLogger } from './store-logger.js';
export type { StoreEngine } from './database.js';
export { LATEST_SCHEMA_VERSION } from './migrations/migrations.js';
export type * from './store.js';
export type * from './telemetry-store.js';
