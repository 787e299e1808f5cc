import { access, copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { Kysely, SqliteDialect } from 'kysely';
import type Database from 'better-sqlite3';
import { VigilError } from '@vigil/core';
import type { Database as Tables } from '../store/database.js';
import { openSqliteDatabase, sqliteFileOf } from '../store/sqlite/sqlite-dialect.js';
import { assertFactsMatch, readStoreFacts, type StoreFacts } from './store-facts.js';

/**
 * Copies the live database to `dumpFile` with SQLite's online backup API
 * (consistent even while the server writes) and reads the copy's facts, so
 * the manifest describes exactly the bytes in the backup.
 */
export async function dumpSqlite(dataDir: string, dumpFile: string): Promise<StoreFacts> {
  let source: Database.Database;
  try {
    source = openSqliteDatabase(sqliteFileOf(dataDir), { fileMustExist: true });
  } catch (cause) {
    throw new VigilError('ERR_BACKUP_FAILED', `There is no Vigil database in ${dataDir}.`, {
      cause,
    });
  }
  try {
    await source.backup(dumpFile);
  } finally {
    source.close();
  }
  return withCopy(dumpFile, (db) => readStoreFacts(db));
}

/** True when restore would not overwrite a database (or its WAL) in `dataDir`. */
export async function sqliteTargetIsEmpty(dataDir: string): Promise<boolean> {
  const file = sqliteFileOf(dataDir);
  for (const candidate of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      await access(candidate);
      return false;
    } catch {
      // absent: keep looking
    }
  }
  return true;
}

/**
 * Puts a verified dump in place: copied next to the target under another
 * name, checked there (PRAGMA integrity_check, foreign_key_check, facts equal
 * to the manifest's) and only then renamed to `vigil.sqlite`, so a bad backup
 * never becomes the live database.
 */
export async function restoreSqlite(
  dataDir: string,
  dumpFile: string,
  expected: StoreFacts,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = sqliteFileOf(dataDir);
  const staged = `${file}.restoring`;
  await copyFile(dumpFile, staged);
  try {
    await withCopy(staged, async (db, raw) => {
      const integrity = raw.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') {
        throw new VigilError(
          'ERR_BACKUP_INVALID',
          `The restored database is damaged: ${String(integrity)}.`,
        );
      }
      const dangling = raw.pragma('foreign_key_check') as unknown[];
      if (dangling.length > 0) {
        throw new VigilError(
          'ERR_BACKUP_INVALID',
          `The restored database has ${dangling.length} rows referring to missing ones.`,
        );
      }
      assertFactsMatch(await readStoreFacts(db), expected);
    });
    await rename(staged, file);
  } catch (error) {
    await rm(staged, { force: true });
    throw error instanceof VigilError
      ? error
      : new VigilError('ERR_BACKUP_INVALID', 'The restored database cannot be read.', {
          cause: error,
        });
  }
}

/** Opens a database file with the store's settings for the duration of `fn`. */
async function withCopy<T>(
  file: string,
  fn: (db: Kysely<Tables>, raw: Database.Database) => Promise<T>,
): Promise<T> {
  const raw = openSqliteDatabase(file, { fileMustExist: true });
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    return await fn(db, raw);
  } finally {
    await db.destroy();
  }
}
