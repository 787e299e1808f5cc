import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { base64url } from 'jose';
import { base64urlLength, encodeBase64urlInto } from '../src/base64url.js';

/** The characters `encodeBase64urlInto` writes for `bytes`, as a string. */
function encodeBase64url(bytes: Uint8Array): string {
  const out = new Uint8Array(base64urlLength(bytes.length));
  encodeBase64urlInto(bytes, out, 0);
  return new TextDecoder().decode(out);
}

describe('encodeBase64urlInto, read back as a string', () => {
  it('writes what jose writes, for every length and byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        assert.equal(encodeBase64url(bytes), base64url.encode(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('encodes a view at an offset into a larger buffer, not the whole buffer', () => {
    const whole = Uint8Array.from({ length: 64 }, (_, i) => i * 7);
    for (const [start, end] of [
      [0, 0],
      [1, 2],
      [3, 7],
      [5, 64],
    ] as const) {
      const view = whole.subarray(start, end);
      assert.equal(encodeBase64url(view), base64url.encode(view.slice()));
    }
  });

  it('uses the RFC 4648 §5 alphabet without padding (test vectors of §10)', () => {
    const ascii = (text: string) => new TextEncoder().encode(text);
    assert.deepEqual(
      ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map((text) => encodeBase64url(ascii(text))),
      ['', 'Zg', 'Zm8', 'Zm9v', 'Zm9vYg', 'Zm9vYmE', 'Zm9vYmFy'],
    );
    assert.equal(encodeBase64url(Uint8Array.of(0xfb, 0xff, 0xbf)), '-_-_');
  });
});

describe('encodeBase64urlInto', () => {
  it('writes the same characters as ASCII bytes at any offset, and returns the end', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(7), (bytes, offset) => {
        const out = new Uint8Array(offset + base64urlLength(bytes.length) + 2).fill(0x21);
        const end = encodeBase64urlInto(bytes, out, offset);
        assert.equal(end, offset + base64urlLength(bytes.length));
        assert.equal(new TextDecoder().decode(out.subarray(offset, end)), base64url.encode(bytes));
        assert.ok(
          out.subarray(0, offset).every((b) => b === 0x21),
          'nothing before offset',
        );
        assert.ok(
          out.subarray(end).every((b) => b === 0x21),
          'nothing after the end',
        );
      }),
      { numRuns: 500 },
    );
  });

  it('encodes an input larger than its kept scratch space', () => {
    const bytes = Uint8Array.from({ length: 3 * 70_000 + 2 }, (_, i) => (i * 31) & 255);
    const out = new Uint8Array(base64urlLength(bytes.length));
    encodeBase64urlInto(bytes, out, 0);
    assert.equal(new TextDecoder().decode(out), base64url.encode(bytes));
  });

  it('refuses to write past the end of the output with a RangeError', () => {
    assert.throws(() => encodeBase64urlInto(new Uint8Array(3), new Uint8Array(3), 0), RangeError);
  });
});
