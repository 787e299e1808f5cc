import type { Kysely } from 'kysely';
import type { StoreEngine } from '../database.js';
import { initialMigration } from './0001-initial.js';
import { devicesMigration } from './0002-devices.js';
import { telemetryMigration } from './0003-telemetry.js';

/**
 * A Kysely without table types: a migration sees the schema as it was when it
 * was written, not as `Database` describes it today (Kysely's own advice).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UntypedKysely = Kysely<any>;

/** One step of the schema; `up` runs inside the migration transaction. */
export interface VigilMigration {
  /** 1, 2, 3 … in order, without gaps; also the file name prefix (`0001-…`). */
  readonly version: number;
  readonly name: string;
  up(db: UntypedKysely): Promise<void>;
}

/**
 * Every migration, oldest first. Forward-only: never edit or remove one that
 * has shipped — add the next version instead (see ../README.md). The
 * version of the last one is the Vigil schema version backups record.
 */
export function vigilMigrations(engine: StoreEngine): readonly VigilMigration[] {
  return [
    { version: 1, name: 'initial', up: initialMigration(engine) },
    { version: 2, name: 'devices', up: devicesMigration },
    { version: 3, name: 'telemetry', up: telemetryMigration },
  ];
}

/** The schema version a store has once `migrateToLatest` has run. */
export const LATEST_SCHEMA_VERSION = vigilMigrations('sqlite').length;
