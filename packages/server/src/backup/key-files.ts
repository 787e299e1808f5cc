import { copyFile, chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VigilError } from '@vigil/core';
import { isBackupFilePath } from './backup-manifest.js';

/**
 * Data-directory folders a backup carries besides the database. `keys/` holds
 * the secrets key that decrypts TOTP secrets: a database restored without it
 * would lock every MFA user out. (`tls/` is not carried: the development
 * certificate is re-issued at start, production ones are configured paths.)
 */
export const BACKED_UP_DIRS = ['keys'] as const;

export interface DataDirFile {
  /** Relative to the data directory, `/`-separated. */
  readonly path: string;
  readonly absolutePath: string;
  readonly mode: number;
}

/** Every regular file under the backed-up folders, in a stable order. */
export async function listDataDirFiles(dataDir: string): Promise<DataDirFile[]> {
  const files: DataDirFile[] = [];
  for (const dir of BACKED_UP_DIRS) await walk(dataDir, dir, files);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(dataDir: string, relative: string, out: DataDirFile[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    const path = `${relative}/${name}`;
    const absolutePath = join(dataDir, path);
    const info = await lstat(absolutePath);
    if (info.isDirectory()) {
      await walk(dataDir, path, out);
    } else if (info.isFile() && isBackupFilePath(path)) {
      out.push({ path, absolutePath, mode: info.mode & 0o777 });
    } else {
      // A symlink could point anywhere, and an odd name could not be restored
      // safely; better to stop than to write a backup that silently lacks it.
      throw new VigilError(
        'ERR_BACKUP_FAILED',
        `Cannot back up ${absolutePath}: not a plain file with a plain name.`,
      );
    }
  }
}

/** True when none of the backed-up folders holds a file (restore would overwrite it). */
export async function dataDirFilesAbsent(dataDir: string): Promise<boolean> {
  for (const dir of BACKED_UP_DIRS) {
    try {
      if ((await readdir(join(dataDir, dir))).length > 0) return false;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return true;
}

/**
 * Puts verified copies back under the data directory. Paths were checked by
 * the manifest parser (under `keys/`, no `..`), folders are owner-only.
 */
export async function restoreDataDirFiles(
  dataDir: string,
  files: ReadonlyArray<{ readonly path: string; readonly mode: number; readonly copy: string }>,
): Promise<void> {
  for (const file of files) {
    const target = join(dataDir, file.path);
    await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    await copyFile(file.copy, target);
    await chmod(target, file.mode);
  }
}
