import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentError } from '../errors.js';

/**
 * Files only this user may read, written so that a crash or power cut leaves
 * either the old content or the new, never a torn file. POSIX semantics; on
 * Windows modes do not exist and the directory's ACL must protect the files.
 */

const CHECK_MODES = process.platform !== 'win32';

/**
 * Creates `directory` (mode 0700) if needed and refuses one that other users
 * can write to: they could swap our files for theirs by renaming.
 *
 * @example
 * await ensurePrivateDirectory('/var/lib/gateway/vigil');
 */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  if (!CHECK_MODES) return;
  const info = await stat(directory);
  if ((info.mode & 0o022) !== 0 || !ownedByUs(info.uid)) {
    throw new AgentError(
      'ERR_AGENT_STORAGE_INSECURE',
      `${directory} is writable by other users or not owned by this user; use mode 0700.`,
      { details: { path: directory, mode: (info.mode & 0o777).toString(8) } },
    );
  }
}

/**
 * Writes `content` to `path` atomically with mode 0600: a temporary file in the
 * same directory, fsync, rename over the target (atomic on POSIX), then fsync
 * the directory so the rename itself survives a power cut.
 *
 * @example
 * await writePrivateFile(join(dir, 'identity.json'), JSON.stringify(identity));
 */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL: never write through a file or symlink someone planted under that name.
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/**
 * Reads `path` if it exists, refusing a file that other users can read or
 * write, that belongs to someone else, or that is a symbolic link. Checks the
 * open descriptor, so the file cannot be swapped between the check and the read.
 * Null when there is no such file.
 *
 * @example
 * const pem = await readPrivateFile(join(dir, 'key.pem'));
 */
export async function readPrivateFile(path: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw insecure(path, 'is a symbolic link');
    }
    throw error;
  }
  try {
    const info = await handle.stat();
    if (CHECK_MODES && (info.mode & 0o077) !== 0) {
      throw insecure(path, `has mode ${(info.mode & 0o777).toString(8)}; it must be 600`);
    }
    if (CHECK_MODES && !ownedByUs(info.uid)) throw insecure(path, 'is owned by another user');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  if (!CHECK_MODES) return; // Windows cannot open a directory for fsync.
  const handle = await open(directory, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ownedByUs(uid: number): boolean {
  return process.getuid === undefined || uid === process.getuid();
}

function insecure(path: string, reason: string): AgentError {
  return new AgentError('ERR_AGENT_STORAGE_INSECURE', `${path} ${reason}.`, {
    details: { path },
  });
}
