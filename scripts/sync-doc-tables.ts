// Rewrites the generated tables of docs/errors.md and docs/audit-events.md from
// the registries in @vigil/core (the docs-drift tests fail until this is run).
// Usage: npm run docs:tables
import { readFileSync, writeFileSync } from 'node:fs';
import { AUDIT_EVENT_TYPES, ERROR_CODES } from '@vigil/core';

function replaceRows(path: string, rows: string[]): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const first = lines.findIndex((l) => l.startsWith('| `'));
  let last = first;
  while (last + 1 < lines.length && lines[last + 1]!.startsWith('| `')) last++;
  if (first < 0) throw new Error(`${path}: no generated table found`);
  lines.splice(first, last - first + 1, ...rows);
  writeFileSync(path, lines.join('\n'));
}

replaceRows(
  'docs/errors.md',
  Object.entries(ERROR_CODES).map(
    ([code, { status, title }]) => `| \`${code}\` | ${status} | ${title} |`,
  ),
);
replaceRows(
  'docs/audit-events.md',
  Object.entries(AUDIT_EVENT_TYPES).map(
    ([type, e]) => `| \`${type}\` | ${e.category} | ${e.severity} | ${e.summary} |`,
  ),
);
