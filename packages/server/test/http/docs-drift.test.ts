import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AUDIT_EVENT_TYPES } from '@vigil/core';
import { SETTINGS } from '@vigil/server';

const read = (path: string) =>
  readFileSync(new URL(`../../../../${path}`, import.meta.url), 'utf8');

describe('documentation stays true', () => {
  it('docs/audit-events.md lists exactly the event catalogue', () => {
    const rows = [
      ...read('docs/audit-events.md').matchAll(
        /^\| `([a-z.-]+)` \| ([a-z_]+) \| (\d) \| (.+) \|$/gm,
      ),
    ].map((m) => [m[1], m[2], Number(m[3]), m[4]]);
    const expected = Object.entries(AUDIT_EVENT_TYPES).map(([type, v]) => [
      type,
      v.category,
      v.severity,
      v.summary,
    ]);
    assert.deepEqual(rows, expected);
  });

  it('README.md documents every setting with its default', () => {
    const readme = read('README.md');
    for (const s of SETTINGS) {
      assert.ok(
        readme.includes(`| \`${s.env}\` | \`${s.flag}\` | ${s.defaultText} | ${s.description} |`),
        s.env,
      );
    }
  });

  it('README.md keeps the two-command quick start', () => {
    const readme = read('README.md');
    assert.ok(readme.includes('npm ci && npm start'));
    assert.ok(readme.includes('npm ci && npm test'));
  });
});
