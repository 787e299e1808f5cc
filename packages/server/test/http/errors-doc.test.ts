import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '@vigil/core';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => ({
    code: m[1]!,
    status: Number(m[2]),
    title: m[3]!,
  }));

  it('lists every code of the registry with its status and meaning, and nothing else', () => {
    const expected = Object.entries(ERROR_CODES).map(([code, { status, title }]) => ({
      code,
      status,
      title,
    }));
    assert.deepEqual(
      [...rows].sort((a, b) => a.code.localeCompare(b.code)),
      [...expected].sort((a, b) => a.code.localeCompare(b.code)),
    );
  });
});
