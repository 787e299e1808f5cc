import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface PgToolOptions {
  /**
   * Folder holding `pg_dump` and `pg_restore`; unset: found on PATH. They
   * must be at least as new as the server (e.g. /usr/lib/postgresql/16/bin).
   */
  readonly pgBinDir?: string | undefined;
}

/** Most stderr kept for an error message, in bytes. */
const MAX_STDERR = 8 * 1024;

/**
 * Runs `pg_dump` or `pg_restore` without a shell (arguments are never
 * parsed by one). The password moves from the URL to PGPASSWORD, so it does
 * not show in the process list.
 */
export function runPgTool(
  tool: 'pg_dump' | 'pg_restore',
  args: readonly string[],
  databaseUrl: string,
  options: PgToolOptions = {},
): Promise<void> {
  const { url, password } = withoutPassword(databaseUrl);
  const command = options.pgBinDir === undefined ? tool : join(options.pgBinDir, tool);
  const env = { ...process.env, ...(password === undefined ? {} : { PGPASSWORD: password }) };
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args, `--dbname=${url}`], {
      env,
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < MAX_STDERR) stderr += text;
    });
    child.on('error', (error) => {
      reject(new Error(`Cannot run ${command}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`${tool} failed (${signal ?? `exit ${String(code)}`}): ${stderr.trim()}`));
    });
  });
}

function withoutPassword(databaseUrl: string): { url: string; password: string | undefined } {
  const url = new URL(databaseUrl);
  if (url.password === '') return { url: databaseUrl, password: undefined };
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), password };
}
