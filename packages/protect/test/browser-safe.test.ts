import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// The dashboard decrypts in the browser: src must use WebCrypto (globalThis.crypto)
// and jose, never a Node.js built-in.
const SRC = join(import.meta.dirname, '..', 'src');
const NODE_BUILTIN =
  /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](?:node:[^'"]+|crypto|fs|path|buffer|os|stream|util)['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('@vigil/protect sources', () => {
  it('import no Node.js built-in (they must run in browsers)', () => {
    const offenders = sources(SRC).filter((file) => NODE_BUILTIN.test(readFileSync(file, 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('import @vigil/core only through its browser-safe subpaths (its root pulls in node:crypto)', () => {
    const offenders = sources(SRC).filter((file) =>
      /from\s+['"]@vigil\/core['"]/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });

  it('use no Node.js-only global (Buffer, process)', () => {
    const offenders = sources(SRC).filter((file) =>
      /\b(?:Buffer|process)\./.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });
});
