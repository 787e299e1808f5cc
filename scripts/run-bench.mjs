#!/usr/bin/env node
// Runs every bench/*.bench.ts one after another (benchmarks must not share the
// machine with each other), on the TypeScript sources through tsx as the tests do.
// Arguments narrow the run: `npm run bench -- sign-in` runs files whose name contains "sign-in".
// Exits with the first non-zero status of a benchmark, after running the rest.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort()
  .map((name) => join('bench', name));

if (files.length === 0) {
  console.error('No benchmark matched.');
  process.exit(1);
}

let status = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    ['--conditions=vigil-source', '--import', 'tsx', file],
    { stdio: 'inherit', env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' } },
  );
  const code = result.status ?? 1;
  console.log(
    `=== ${file}: exit ${code}${result.signal ? ` (${result.signal})` : ''}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (code !== 0 && status === 0) status = code;
}
process.exit(status);
