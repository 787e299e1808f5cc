import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, VigilError, type Clock } from '@vigil/core';
import type { StoreLocation } from '../store/open-database.js';
import { sha256OfFile, writeBackupContainer } from './backup-container.js';
import { BACKUP_FORMAT_VERSION, type BackupManifest } from './backup-manifest.js';
import { listDataDirFiles } from './key-files.js';
import type { PgToolOptions } from './pg-tools.js';
import { dumpPostgres } from './postgres-backup.js';
import { dumpSqlite } from './sqlite-backup.js';

export interface BackupOptions extends PgToolOptions {
  /** Source of the manifest's `createdAt`; defaults to the system clock. */
  readonly clock?: Clock;
}

/**
 * Writes one backup file of the store at `location` and of the data
 * directory's `keys/`, and returns its manifest. The database is copied
 * online (SQLite backup API, or `pg_dump` on an exported snapshot), so the
 * server may keep running. The file holds the keys: keep it as safe as the
 * data directory (it is created mode 0600).
 *
 * @example
 * const manifest = await createBackup(
 *   { dataDir: config.dataDir, databaseUrl: config.databaseUrl },
 *   '/backups/vigil-2026-01-15.vigil-backup',
 * );
 * console.log(manifest.rowCounts.audit_events);
 */
export async function createBackup(
  location: StoreLocation,
  targetFile: string,
  options: BackupOptions = {},
): Promise<BackupManifest> {
  const clock = options.clock ?? systemClock;
  const work = await mkdtemp(join(tmpdir(), 'vigil-backup-'));
  try {
    const dumpFile = join(work, 'dump');
    const createdAt = new Date(clock.now()).toISOString();
    const snapshot =
      location.databaseUrl === null
        ? { ...(await dumpSqlite(location.dataDir, dumpFile)), schema: null }
        : await dumpPostgres({ ...location, databaseUrl: location.databaseUrl }, dumpFile, options);
    // Copies first, so each file's digest and bytes come from the same read.
    const files = await Promise.all(
      (await listDataDirFiles(location.dataDir)).map(async (f, i) => {
        const copy = join(work, `file-${i}`);
        await copyFile(f.absolutePath, copy);
        return { path: f.path, mode: f.mode, copy, ...(await describe(copy)) };
      }),
    );
    const manifest: BackupManifest = {
      formatVersion: BACKUP_FORMAT_VERSION,
      engine: location.databaseUrl === null ? 'sqlite' : 'postgres',
      createdAt,
      schemaVersion: snapshot.schemaVersion,
      postgresSchema: snapshot.schema,
      rowCounts: snapshot.rowCounts,
      dump: await describe(dumpFile),
      files: files.map(({ path, mode, size, sha256 }) => ({ path, mode, size, sha256 })),
    };
    await writeBackupContainer(targetFile, manifest, [dumpFile, ...files.map((f) => f.copy)]);
    return manifest;
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('ERR_BACKUP_FAILED', `Writing the backup ${targetFile} failed.`, {
      cause: error,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function describe(file: string): Promise<{ size: number; sha256: string }> {
  return { size: (await stat(file)).size, sha256: await sha256OfFile(file) };
}
