import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * No private key or password ships with Vigil (FDA premarket guidance
 * App. 1: no hard-coded credentials; ETSI EN 303 645 §5.1). Scans every
 * file git tracks; only test code may hold throwaway material, and even
 * there keys are generated at run time.
 */
const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: import.meta.dirname })
  .toString()
  .trim();
const files = execFileSync('git', ['ls-files', '-z'], { cwd: root })
  .toString()
  .split('\0')
  .filter(
    (f) => f && !/(^|\/)(test|tests|fixtures|testkit)\//.test(f) && f !== 'package-lock.json',
  );

// A PEM private key: the header followed by base64 key material (not a regex or a comment naming it).
const PRIVATE_KEY =
  /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----\r?\n(Proc-Type:[^\n]*\n(DEK-Info:[^\n]*\n)?\n?)?[A-Za-z0-9+/]{40,}/;
// An assignment of a literal to something named like a password or secret ("password: 'hunter2'").
const PASSWORD_LITERAL =
  /\b(password|passwd|secret|api[_-]?key)\b["']?\s*[:=]\s*["'][^"'\s]{6,}["']/i;

describe('the repository', () => {
  it('holds files to scan', () => {
    assert.ok(files.length > 100, `${files.length} files`);
  });

  it('contains no private key outside test code', () => {
    const offenders = files.filter((f) => PRIVATE_KEY.test(read(f)));
    assert.deepEqual(offenders, []);
  });

  it('contains no literal password or secret outside test code', () => {
    const offenders = files.flatMap((f) =>
      read(f)
        .split('\n')
        .map((line, i) => ({ f, line, i }))
        .filter(
          ({ line }) => PASSWORD_LITERAL.test(line) && !/example|placeholder|<[^>]+>/i.test(line),
        )
        .map(({ f, i, line }) => `${f}:${i + 1}: ${line.trim().slice(0, 120)}`),
    );
    assert.deepEqual(offenders, []);
  });

  it('would catch a committed key (the scanner is not blind)', () => {
    assert.ok(PRIVATE_KEY.test(`-----BEGIN EC PRIVATE KEY-----\n${'MHcCAQEEIBm'.repeat(6)}`));
    assert.ok(!PRIVATE_KEY.test('const ENCRYPTED = /-----BEGIN ENCRYPTED PRIVATE KEY-----/;'));
    assert.ok(PASSWORD_LITERAL.test(`const config = { password: 'Winter2026!' };`));
  });
});

function read(file: string): string {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    return '';
  }
}
