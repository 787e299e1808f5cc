import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VigilError } from '@vigil/core';
import type { StoreLocation } from '../store/open-database.js';
import { extractPayload, readBackupManifest } from './backup-container.js';
import type { BackupManifest } from './backup-manifest.js';
import { dataDirFilesAbsent, restoreDataDirFiles } from './key-files.js';
import type { PgToolOptions } from './pg-tools.js';
import { postgresTargetIsEmpty, postgresTargetSchema, restorePostgres } from './postgres-backup.js';
import { restoreSqlite, sqliteTargetIsEmpty } from './sqlite-backup.js';

/**
 * Restores a backup made by `createBackup` into an empty target and returns
 * its manifest. In order, and stopping at the first failure:
 *
 * 1. reads the manifest (ERR_BACKUP_INVALID if unreadable);
 * 2. checks the target is the same engine and PostgreSQL schema
 *    (ERR_BACKUP_TARGET_MISMATCH) and is empty: no database file or no table
 *    in the schema, nothing under `keys/` (ERR_BACKUP_TARGET_NOT_EMPTY);
 * 3. verifies the SHA-256 of every part before touching the target (ERR_BACKUP_INVALID);
 * 4. restores the database and checks it — SQLite `integrity_check` and
 *    `foreign_key_check`, and on both engines the schema version and the row
 *    count of every table against the manifest (ERR_BACKUP_INVALID);
 * 5. puts the key files back.
 *
 * Run it with the server stopped; start the server afterwards as usual.
 *
 * @example
 * await restoreBackup({ dataDir: '/var/lib/vigil', databaseUrl: null }, '/backups/vigil.vigil-backup');
 */
export async function restoreBackup(
  location: StoreLocation,
  sourceFile: string,
  options: PgToolOptions = {},
): Promise<BackupManifest> {
  const backup = await readBackupManifest(sourceFile);
  const { manifest } = backup;
  const engine = location.databaseUrl === null ? 'sqlite' : 'postgres';
  if (manifest.engine !== engine) {
    throw new VigilError(
      'ERR_BACKUP_TARGET_MISMATCH',
      `This is a ${manifest.engine} backup; the target is ${engine}.`,
    );
  }
  const pg =
    location.databaseUrl === null ? null : { ...location, databaseUrl: location.databaseUrl };
  const schema = pg === null ? null : await postgresTargetSchema(pg);
  if (manifest.postgresSchema !== schema) {
    // pg_dump writes schema-qualified names; they cannot be renamed on the way in.
    throw new VigilError(
      'ERR_BACKUP_TARGET_MISMATCH',
      `The backup holds schema ${String(manifest.postgresSchema)}; restore it into that schema, not ${String(schema)}.`,
    );
  }
  const databaseEmpty =
    pg === null || schema === null
      ? await sqliteTargetIsEmpty(location.dataDir)
      : await postgresTargetIsEmpty(pg, schema);
  if (!databaseEmpty || !(await dataDirFilesAbsent(location.dataDir))) {
    throw new VigilError(
      'ERR_BACKUP_TARGET_NOT_EMPTY',
      'Restore needs an empty target: no database (or schema tables) and no keys in the data directory.',
    );
  }

  const work = await mkdtemp(join(tmpdir(), 'vigil-restore-'));
  try {
    const payload = await extractPayload(backup, work);
    if (pg === null || schema === null) {
      await restoreSqlite(location.dataDir, payload.dump, manifest);
    } else {
      await restorePostgres(pg, schema, payload.dump, manifest, options);
    }
    await restoreDataDirFiles(
      location.dataDir,
      manifest.files.map((file, i) => ({
        path: file.path,
        mode: file.mode,
        copy: payload.files[i] ?? '',
      })),
    );
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
