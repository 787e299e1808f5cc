import { createRequire } from 'node:module';
import type { CommonPasswordCheck } from '@vigil/core';

/**
 * The offline common/breached password list NIST SP 800-63B §3.1.1.2 asks us
 * to check against: Mozilla's Firefox Accounts list (npm
 * `fxa-common-password-list`, MPL-2.0; 50,000 passwords most seen in
 * breaches). The package exposes only a linear `test()`, so we decode its
 * data once into a Set; the first check pays ~20 ms.
 */
let list: Set<string> | undefined;

function load(): Set<string> {
  const require = createRequire(import.meta.url);
  // Both modules are CommonJS; the encoded list is a newline-separated incremental encoding.
  const { Decoder } = (
    require('incremental-encoder') as { default: { Decoder: new () => Decoder } }
  ).default;
  const encoded = require('fxa-common-password-list/src/encoded-passwords.js') as string;
  return new Set(new Decoder().decode(encoded.split('\n')));
}

interface Decoder {
  decode(lines: string[]): string[];
}

export const isCommonPassword: CommonPasswordCheck = (password) => {
  list ??= load();
  return list.has(password) || isTrivialPattern(password);
};

/**
 * 800-63B also names repetitive or sequential characters: a long password
 * made of one short unit repeated ("aaaaaaaaaaaaaaaa", "abcabcabcabcabc",
 * "passwordpassword") or a keyboard/number run adds length but no strength.
 */
export function isTrivialPattern(password: string): boolean {
  const chars = [...password.toLowerCase()];
  if (new Set(chars).size <= 3) return true;
  for (let unit = 1; unit <= chars.length / 2; unit++) {
    if (chars.length % unit !== 0) continue;
    const head = chars.slice(0, unit).join('');
    if (head.repeat(chars.length / unit) === chars.join('')) {
      return true;
    }
  }
  return isRun(chars);
}

function isRun(chars: string[]): boolean {
  const codes = chars.map((c) => c.codePointAt(0) ?? 0);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  if (Math.abs(step) !== 1) return false;
  return codes.every((c, i) => i === 0 || c - (codes[i - 1] ?? 0) === step);
}
