#!/usr/bin/env node
// Runs every test file under packages/*/test with node's test runner, on the
// TypeScript sources (the `vigil-source` export condition) through tsx.
// Extra arguments narrow the run: `npm run test:run -- store` runs files whose path contains "store".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = readdirSync('packages')
  .map((p) => join('packages', p, 'test'))
  .filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())
  .flatMap(findTests)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  [
    '--conditions=vigil-source',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    ...files,
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'silent' },
  },
);
process.exit(result.status ?? 1);
