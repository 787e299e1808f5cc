import { VigilError } from '@vigil/core/errors';

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object members sorted by
 * UTF-16 code units, no whitespace, numbers and strings as ECMAScript
 * `JSON.stringify` writes them (which is what JCS §3.2.2 prescribes). The same
 * batch therefore always gives the same signed bytes, whichever code built it.
 * Internal to the batch envelope.
 *
 * When the value is already in canonical shape — plain objects whose keys were
 * inserted in sorted order, arrays without holes, finite numbers, nothing
 * `undefined` — `JSON.stringify` writes exactly these bytes, natively and about
 * three times faster; `vitalSignObservation` builds its Observations that way.
 * Anything else takes the general path, which tries the native one again for
 * each member: a batch's unsorted envelope around its sorted Observations costs
 * one walk of the Observations and one native serialisation.
 */
export function canonicalJson(value: unknown): string {
  return isCanonicalShape(value) ? JSON.stringify(value) : generalCanonicalJson(value);
}

/**
 * Whether `JSON.stringify(value)` is already canonical. Only own enumerable
 * string keys of plain objects are walked, in the order `JSON.stringify` uses
 * (`for…in` over a plain object); integer-like keys, which every engine lists
 * first in numeric order, fail the sorted check unless they happen to be sorted.
 */
function isCanonicalShape(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !isCanonicalShape(value[i])) return false;
    }
    return true;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!isCanonicalShape((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function generalCanonicalJson(value: unknown): string {
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
