import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory of its own under the OS temp dir. */
export interface TempDir {
  readonly path: string;
  /** Deletes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Creates a fresh, empty directory (mode 0700, as `mkdtemp` makes it). The
 * caller removes it; inside a test prefer `tempDir(t)`.
 *
 * @example
 * const dir = await createTempDir();
 * try { … } finally { await dir.remove(); }
 */
export async function createTempDir(prefix = 'vigil-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** The part of node:test's TestContext `tempDir` needs. */
export interface AfterHook {
  after(fn: () => Promise<void>): void;
}

/**
 * A fresh directory removed when the test `t` ends, whether it passed or not.
 *
 * @example
 * it('writes a backup', async (t) => {
 *   const dir = await tempDir(t);
 *   await createBackup(location, join(dir, 'vigil.backup'));
 * });
 */
export async function tempDir(t: AfterHook, prefix?: string): Promise<string> {
  const dir = await createTempDir(prefix);
  t.after(() => dir.remove());
  return dir.path;
}
