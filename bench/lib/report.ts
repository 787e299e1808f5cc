import { readFileSync, realpathSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';

/**
 * Output shared by the benchmarks: a human-readable block, then one line
 * `BENCH_RESULT {json}` that notes and scripts can quote without parsing prose.
 */

export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Prints a titled block of `label  value` lines, labels aligned. */
export function printBlock(title: string, rows: ReadonlyArray<readonly [string, string]>): void {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  console.log(`\n${title}\n${'-'.repeat(title.length)}`);
  for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`);
}

/** Prints the machine-readable line; `bench` names the benchmark. */
export function printResult(bench: string, figures: Record<string, unknown>): void {
  console.log(
    RESULT_PREFIX +
      JSON.stringify({
        bench,
        date: new Date().toISOString(),
        node: process.version,
        cores: availableParallelism(),
        ...figures,
      }),
  );
}

/** The machine the figures come from; they mean little without it. */
export function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `Node ${process.version}, ${availableParallelism()} cores (${model}), ${process.platform}/${process.arch}`;
}

/** A whole-number count from the environment, within bounds; `fallback` when unset. */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not "${raw}".`);
  }
  return value;
}

/** The parent of the benchmark's data directory: `BENCH_DATA_ROOT`, or the OS temp dir when unset. */
export function dataRootFromEnv(): string | undefined {
  const root = process.env['BENCH_DATA_ROOT'];
  return root === undefined || root === '' ? undefined : root;
}

/**
 * The file system a path is on, from /proc/self/mounts (`ext4 /dev/vda`), or
 * `unknown` off Linux. The store fsyncs each commit, so this matters.
 */
export function fileSystemOf(path: string): string {
  try {
    const real = realpathSync(path);
    let best: { mountPoint: string; type: string; device: string } | undefined;
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [device, mountPoint, type] = line.split(' ');
      if (!device || !mountPoint || !type) continue;
      const inside =
        real === mountPoint || real.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
      if (inside && mountPoint.length >= (best?.mountPoint.length ?? -1))
        best = { mountPoint, type, device };
    }
    return best ? `${best.type} ${best.device}` : 'unknown';
  } catch {
    return 'unknown';
  }
}
