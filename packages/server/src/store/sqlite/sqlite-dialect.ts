import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';

/** The database file inside the data directory. */
export const SQLITE_FILE_NAME = 'vigil.sqlite';

/** The page size of a new database file, in bytes (SQLite's default is 4 096). */
export const PAGE_SIZE = 16_384;

/** How long a write waits for another process's lock before failing, in milliseconds. */
const BUSY_TIMEOUT_MS = 5_000;

export function sqliteFileOf(dataDir: string): string {
  return join(dataDir, SQLITE_FILE_NAME);
}

/**
 * Opens a better-sqlite3 connection with the settings every Vigil connection
 * needs. Used by the store and by backup/restore, so a restored file is
 * checked under the same rules it will be served with.
 */
export function openSqliteDatabase(
  file: string,
  options: { fileMustExist?: boolean } = {},
): Database.Database {
  const db = new Database(file, { fileMustExist: options.fileMustExist ?? false });
  try {
    // Takes effect only before the first table exists (an existing file keeps its page
    // size): 16 KiB pages. A 133 kB telemetry batch is then 9 WAL frames instead of 33, so
    // the commit and the checkpoint make a quarter of the write calls; a small row's frame
    // grows from 4 to 16 KiB, a memory copy. docs/benchmarks.md ("Ingest") has the figures.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    // Readers never block the writer, and a crash leaves a consistent file.
    db.pragma('journal_mode = WAL');
    // "Nothing lost" (PRODUCT.md): fsync the WAL at every commit, so an
    // acknowledged write also survives power loss, not only a process crash.
    db.pragma('synchronous = FULL');
    // SQLite leaves foreign keys off by default; the schema relies on ON DELETE CASCADE.
    db.pragma('foreign_keys = ON');
    // A CLI command (backup, user admin) may write while the server runs.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * The Kysely dialect for the embedded engine. The file is opened lazily by
 * the driver, so an unopenable file fails like any other query (and is
 * mapped to ERR_STORE_UNAVAILABLE).
 */
export function createSqliteDialect(file: string): SqliteDialect {
  return new VigilSqliteDialect({
    database: () => Promise.resolve(withStatementCache(openSqliteDatabase(file))),
  });
}

/** Distinct SQL texts whose prepared statements are kept (the store issues a few dozen). */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every statement on every call; compiling
 * the same SQL again was the largest server-side cost of an authenticated
 * request. Statements are reusable in better-sqlite3, and Kysely runs one
 * query at a time on the connection, so a prepared statement is kept per SQL
 * text (least recently used dropped first).
 */
export function withStatementCache(
  db: Database.Database,
  size = STATEMENT_CACHE_SIZE,
): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement) {
        cache.delete(sql); // re-insert below: Map order is recency order
      } else {
        statement = db.prepare(sql);
      }
      cache.set(sql, statement);
      if (cache.size > size) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
}

/** Kysely's SQLite dialect, with transactions that take the write lock up front. */
class VigilSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Transactions start with BEGIN IMMEDIATE, taking the write lock up front. A
 * plain (deferred) BEGIN that reads and then writes fails at once with
 * SQLITE_BUSY_SNAPSHOT in WAL mode if another process (a CLI command next to
 * the server) wrote in between; IMMEDIATE waits for `busy_timeout` instead.
 * Within one process there is a single connection, so nothing is lost.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }
}
