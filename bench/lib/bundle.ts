import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Esbuild from 'esbuild';
import { REPO_ROOT } from './source-node.js';

export interface Bundle {
  readonly file: string;
  /** What the bundle runs, for the report. */
  readonly label: string;
}

/** Where bundles go: a `dist` folder, which git, ESLint and Prettier already ignore. */
export const BUNDLE_DIR = join(REPO_ROOT, 'bench', 'dist');

/**
 * Where Vigil's own packages come from in a bundle: their current TypeScript
 * sources compiled into it, or the workspace build (`npm run build`) in
 * `packages/<name>/dist`, which may be older than the sources.
 */
export type VigilPackages = 'sources' | 'dist';

/** Whether the workspace has been built, so a `dist` bundle can run. */
export function workspaceBuilt(): boolean {
  return ['core', 'server'].every((p) =>
    existsSync(join(REPO_ROOT, 'packages', p, 'dist', 'index.js')),
  );
}

/**
 * Builds `entry` into one ES module that plain `node` runs without tsx, to
 * measure the server as it is deployed (compiled JavaScript) rather than with
 * a TypeScript loader in the process. Third-party packages stay external and
 * load from node_modules as in production.
 *
 * Uses the esbuild that tsx depends on; resolves to null (and the caller
 * skips the run) when it cannot be loaded.
 */
export async function bundleForNode(
  entry: string,
  outName: string,
  vigil: VigilPackages,
): Promise<Bundle | null> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return null;
  }
  const built = vigil === 'dist';
  const externals: Esbuild.Plugin = {
    name: 'vigil-bench-externals',
    setup(build) {
      // Bare specifiers (packages and node: built-ins); relative imports are bundled.
      build.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith('@vigil/') && !built ? undefined : { path: args.path, external: true },
      );
    },
  };
  const file = join(BUNDLE_DIR, outName);
  await esbuild.build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['vigil-source'],
    plugins: [externals],
    logLevel: 'silent',
  });
  return {
    file,
    label: built
      ? 'compiled: workspace build, packages/*/dist'
      : 'compiled: current sources, esbuild bundle',
  };
}
