import { fileURLToPath } from 'node:url';

/** The repository root (bench/lib/ is two levels down). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How a child process runs TypeScript sources, as `npm test` does: the
 * `vigil-source` export condition points workspace packages at `src/*.ts`,
 * and tsx compiles them on load.
 */
export const SOURCE_EXEC_ARGV: readonly string[] = ['--conditions=vigil-source', '--import', 'tsx'];
