import { VigilError } from '@vigil/core/errors';

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object members sorted by
 * UTF-16 code units, no whitespace, numbers and strings as ECMAScript
 * `JSON.stringify` writes them (which is what JCS §3.2.2 prescribes). The same
 * batch therefore always gives the same signed bytes, whichever code built it.
 * Internal to the batch envelope.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'JSON has no NaN or Infinity.');
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
    }
    return `{${members.join(',')}}`;
  }
  throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', `A ${typeof value} is not JSON.`);
}
