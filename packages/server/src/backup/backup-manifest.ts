import { VigilError } from '@vigil/core';
import { STORE_TABLES, type StoreEngine, type StoreTable } from '../store/database.js';

/** Version of the container layout and manifest shape (ADR 0003). */
export const BACKUP_FORMAT_VERSION = 1;

/** Size and SHA-256 (hex) of one part of the backup's payload. */
export interface BackupPart {
  readonly size: number;
  readonly sha256: string;
}

/** A file copied from the data directory, e.g. `keys/secrets.key`. */
export interface BackupFile extends BackupPart {
  /** Relative to the data directory, `/`-separated, always under `keys/`. */
  readonly path: string;
  /** Permission bits (e.g. 0o600) to restore it with. */
  readonly mode: number;
}

/**
 * What a backup holds and how to check it: read before anything is restored,
 * and compared with the restored database afterwards.
 */
export interface BackupManifest {
  readonly formatVersion: typeof BACKUP_FORMAT_VERSION;
  readonly engine: StoreEngine;
  /** When the snapshot was taken, ISO 8601 UTC. */
  readonly createdAt: string;
  /** The Vigil schema version (latest migration applied) of the snapshot. */
  readonly schemaVersion: number;
  /** PostgreSQL: the schema dumped, which restore recreates under the same name. SQLite: null. */
  readonly postgresSchema: string | null;
  /** Rows per Vigil table in the snapshot. */
  readonly rowCounts: Readonly<Record<StoreTable, number>>;
  /** The database: a SQLite file, or a `pg_dump --format=custom` archive. */
  readonly dump: BackupPart;
  /** Data-directory files, in the order their bytes follow the dump. */
  readonly files: readonly BackupFile[];
}

/** A data-dir path restore may write: under `keys/`, no `.`/`..` segment, no oddities. */
const FILE_PATH = /^keys(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+)+$/;

export function isBackupFilePath(path: string): boolean {
  return FILE_PATH.test(path);
}

/**
 * Checks a parsed manifest field by field. A backup is input from outside
 * (a file an operator hands us), so nothing in it is trusted: a path that
 * escapes the data directory or a negative size is refused here.
 */
export function parseBackupManifest(value: unknown): BackupManifest {
  const m = record(value, 'manifest');
  if (m['formatVersion'] !== BACKUP_FORMAT_VERSION) {
    throw invalid(`unsupported format version ${String(m['formatVersion'])}`);
  }
  const engine = m['engine'];
  if (engine !== 'sqlite' && engine !== 'postgres') throw invalid('unknown engine');
  const createdAt = m['createdAt'];
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) {
    throw invalid('createdAt is not a time');
  }
  const postgresSchema = m['postgresSchema'];
  if (postgresSchema !== null && typeof postgresSchema !== 'string') {
    throw invalid('postgresSchema must be a string or null');
  }
  const counts = record(m['rowCounts'], 'rowCounts');
  const rowCounts = Object.fromEntries(
    STORE_TABLES.map((table) => [table, count(counts[table], `rowCounts.${table}`)]),
  ) as Record<StoreTable, number>;
  const files = m['files'];
  if (!Array.isArray(files)) throw invalid('files must be a list');
  return {
    formatVersion: BACKUP_FORMAT_VERSION,
    engine,
    createdAt,
    schemaVersion: count(m['schemaVersion'], 'schemaVersion'),
    postgresSchema,
    rowCounts,
    dump: part(m['dump'], 'dump'),
    files: files.map((f: unknown, i) => {
      const file = record(f, `files[${i}]`);
      const path = file['path'];
      if (typeof path !== 'string' || !isBackupFilePath(path)) throw invalid(`files[${i}].path`);
      return {
        ...part(file, `files[${i}]`),
        path,
        mode: count(file['mode'], `files[${i}].mode`) & 0o777,
      };
    }),
  };
}

function part(value: unknown, where: string): BackupPart {
  const p = record(value, where);
  const sha256 = p['sha256'];
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))
    throw invalid(`${where}.sha256`);
  return { size: count(p['size'], `${where}.size`), sha256 };
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${where} must be a whole number`);
  }
  return value;
}

function invalid(reason: string): VigilError {
  return new VigilError('ERR_BACKUP_INVALID', `The backup manifest is invalid: ${reason}.`);
}
