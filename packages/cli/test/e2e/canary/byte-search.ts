/**
 * A byte-level search for canaries in whatever a place holds: database pages,
 * WAL segments, log lines, TLS records, HTTP bodies. Needles are bytes, so one
 * search covers every encoding we make a needle for; text needles match in any
 * ASCII case (both sides are lower-cased byte by byte, which can only add
 * matches), base64 needles also across line breaks (PEM, MIME, EST bodies).
 */

export interface Needle {
  /** What it stands for, e.g. `"Zebulon" (UTF-16LE)`. */
  readonly label: string;
  readonly bytes: Buffer;
  /**
   * `caseless`: in any ASCII case (`bytes` is stored lower-cased); `base64`:
   * exactly, or once CR and LF are taken out of the haystack; `exact`: as is.
   */
  readonly match: 'caseless' | 'base64' | 'exact';
}

/** One file, log stream or connection direction. */
export interface Part {
  readonly label: string;
  readonly bytes: Buffer;
}

/** Everything one search place holds. */
export interface Corpus {
  readonly name: string;
  readonly parts: readonly Part[];
}

export interface Hit {
  readonly needle: string;
  readonly part: string;
  readonly offset: number;
  /** The bytes around the hit, non-printable ones as `.`, to tell what leaked where. */
  readonly context: string;
}

/**
 * The shortest base64 needle kept: 8 characters are 48 bits, so the megabytes
 * of stored JWE (base64url) text cannot match one by chance, and any text of 8
 * bytes or more has a needle at each of the three alignments.
 */
export const MIN_BASE64_NEEDLE = 8;

/** Lower-cases ASCII letters, leaving every other byte alone. */
function asciiLower(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b >= 0x41 && b <= 0x5a) out[i] = b | 0x20;
  }
  return out;
}

/** The bytes without CR and LF: base64 as it was before line wrapping. */
function unwrapped(bytes: Buffer): Buffer {
  return Buffer.from(bytes.filter((b) => b !== 0x0a && b !== 0x0d));
}

function caseless(label: string, bytes: Buffer): Needle {
  return { label, bytes: asciiLower(bytes), match: 'caseless' };
}

function exact(label: string, bytes: Buffer): Needle {
  return { label, bytes, match: 'exact' };
}

/** `\u00d8`-style escapes for non-ASCII characters, as ASCII-only JSON writers emit them. */
function jsonEscaped(text: string): string {
  return text.replace(
    /[^\x20-\x7e]/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function unique(needles: Needle[]): Needle[] {
  const seen = new Set<string>();
  return needles.filter((n) => {
    const key = `${n.match}:${n.bytes.toString('hex')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A text in any case: UTF-8, UTF-16LE, hex of its UTF-8, and, when it is not
 * ASCII, \u-escaped (upper- and lower-case forms of non-ASCII letters separately).
 */
export function textNeedles(text: string): Needle[] {
  const forms = [...new Set([text, text.toUpperCase(), text.toLowerCase()])];
  return unique(
    forms.flatMap((form) => [
      caseless(`"${text}" (UTF-8)`, Buffer.from(form, 'utf8')),
      caseless(`"${text}" (UTF-16LE)`, Buffer.from(form, 'utf16le')),
      caseless(`"${text}" (\\u-escaped)`, Buffer.from(jsonEscaped(form), 'utf8')),
      caseless(`"${text}" (hex)`, Buffer.from(Buffer.from(form, 'utf8').toString('hex'))),
    ]),
  );
}

/**
 * The base64 and base64url of `bytes` wherever they start in the encoded data:
 * for each of the three alignments, the characters that depend on `bytes` alone.
 */
export function base64Needles(label: string, bytes: Buffer): Needle[] {
  const needles: Needle[] = [];
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
    const end = Math.floor(shifted.length / 3) * 4;
    const start = shift === 0 ? 0 : 4;
    for (const encoding of ['base64', 'base64url'] as const) {
      const text = shifted.toString(encoding).slice(start, end);
      if (text.length >= MIN_BASE64_NEEDLE) {
        needles.push({
          label: `${label} (${encoding}, offset ${shift})`,
          bytes: Buffer.from(text),
          match: 'base64',
        });
      }
    }
  }
  return needles;
}

/** A patient identifier or part of one: as text, and base64-encoded as given or normalised. */
export function identifierNeedles(text: string): Needle[] {
  return unique([
    ...textNeedles(text),
    ...[...new Set([text, text.toUpperCase()])].flatMap((form) =>
      base64Needles(`"${form}"`, Buffer.from(form, 'utf8')),
    ),
  ]);
}

/** A reading's value: decimal text, its FHIR JSON fragment, and IEEE 754 binary64 (LE and BE). */
export function numberNeedles(value: number): Needle[] {
  const text = String(value);
  const le = Buffer.alloc(8);
  le.writeDoubleLE(value);
  const be = Buffer.alloc(8);
  be.writeDoubleBE(value);
  return unique([
    ...textNeedles(text),
    caseless(`"value":${text}`, Buffer.from(`"value":${text}`)),
    caseless(`"value": ${text}`, Buffer.from(`"value": ${text}`)),
    exact(`${text} (binary64 LE)`, le),
    exact(`${text} (binary64 BE)`, be),
  ]);
}

function contextAt(bytes: Buffer, offset: number, length: number): string {
  const from = Math.max(0, offset - 24);
  const to = Math.min(bytes.length, offset + length + 24);
  return [...bytes.subarray(from, to)]
    .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
    .join('');
}

/** Every needle found in the corpus: the first hit per needle and part. */
export function search(corpus: Corpus, needles: readonly Needle[]): Hit[] {
  const hits: Hit[] = [];
  for (const part of corpus.parts) {
    let lowered: Buffer | undefined;
    let joined: Buffer | undefined;
    for (const needle of needles) {
      const haystacks =
        needle.match === 'caseless'
          ? [(lowered ??= asciiLower(part.bytes))]
          : needle.match === 'base64'
            ? [part.bytes, (joined ??= unwrapped(part.bytes))]
            : [part.bytes];
      for (const haystack of haystacks) {
        const offset = haystack.indexOf(needle.bytes);
        if (offset < 0) continue;
        hits.push({
          needle: needle.label,
          part: part.label,
          offset,
          context: contextAt(haystack, offset, needle.bytes.length),
        });
        break;
      }
    }
  }
  return hits;
}

/** Total bytes a corpus holds. */
export function sizeOf(corpus: Corpus): number {
  return corpus.parts.reduce((sum, part) => sum + part.bytes.length, 0);
}

/** A one-line summary of hits for an assertion message. */
export function describeHits(hits: readonly Hit[]): string {
  return hits
    .slice(0, 20)
    .map((h) => `${h.needle} in ${h.part} at ${h.offset}: …${h.context}…`)
    .join('\n');
}
