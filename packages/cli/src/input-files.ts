import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from './exit-codes.js';

/** Errors that mean the path on the command line is wrong, not that the machine is in trouble. */
const WRONG_PATH = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EEXIST']);

/**
 * Reads a file named by `flag`, resolved against the working directory. A
 * path that does not lead to a readable file is a wrong command line
 * (exit 2); any other failure stays unexpected.
 */
export async function readInputFile(
  command: Command,
  cwd: string,
  flag: string,
  file: string,
): Promise<string> {
  const path = resolve(cwd, file);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    return wrongPath(command, error, `${flag} ${file} cannot be read (${codeOf(error)})`);
  }
}

/**
 * Creates `file` for a secret, readable by its owner only, and fails if it
 * already exists: a secret is never written over another file, and the
 * check comes before the work that makes the secret.
 */
export async function createSecretFile(
  command: Command,
  cwd: string,
  flag: string,
  file: string,
): Promise<{ path: string; handle: FileHandle }> {
  const path = resolve(cwd, file);
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    const why = codeOf(error) === 'EEXIST' ? 'already exists; choose a new file' : codeOf(error);
    return wrongPath(command, error, `${flag} ${file} cannot be created (${why})`);
  }
  try {
    // The mode given to open() is reduced by the umask; make it exactly 0600.
    await handle.chmod(0o600);
  } catch (error) {
    await discardFile(path, handle);
    throw error;
  }
  return { path, handle };
}

/** Closes and removes a file `createSecretFile` made, when the secret for it never came. */
export async function discardFile(path: string, handle: FileHandle): Promise<void> {
  await handle.close();
  await rm(path, { force: true });
}

/** The first line of a file, without its line ending (a passphrase file). */
export function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** The non-blank lines of a file that are not `#` comments, trimmed. */
export function meaningfulLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function wrongPath(command: Command, error: unknown, message: string): never {
  if (!WRONG_PATH.has(codeOf(error))) throw error;
  command.error(message, { exitCode: EXIT.usage });
}

function codeOf(error: unknown): string {
  return error instanceof Error && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'unknown error';
}
