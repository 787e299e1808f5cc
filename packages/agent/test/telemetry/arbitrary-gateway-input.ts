import fc from 'fast-check';
import { VITAL_SIGN_KINDS } from '@vigil/protect';

// fast-check arbitraries for telemetry-fuzz.test.ts: what the gateway app (and its
// timers) do during a run, and what it could hand to record().

/** What the gateway app (and its timers) do during a run. */
export type Op =
  | { readonly op: 'record'; readonly patient: number; readonly readings: number }
  | { readonly op: 'record-while-flushing'; readonly patient: number }
  | { readonly op: 'flush' }
  | { readonly op: 'refresh' }
  | { readonly op: 'publish'; readonly manifest: string }
  | { readonly op: 'start' }
  | { readonly op: 'tick' }
  | { readonly op: 'advance'; readonly ms: number };

export function op(manifestNames: readonly string[]): fc.Arbitrary<Op> {
  const patient = fc.integer({ min: 0, max: 3 });
  return fc.oneof(
    {
      arbitrary: fc.record({
        op: fc.constant('record' as const),
        patient,
        readings: fc.integer({ min: 1, max: 3 }),
      }),
      weight: 5,
    },
    {
      arbitrary: fc.record({ op: fc.constant('record-while-flushing' as const), patient }),
      weight: 2,
    },
    { arbitrary: fc.constant({ op: 'flush' as const }), weight: 4 },
    { arbitrary: fc.constant({ op: 'refresh' as const }), weight: 2 },
    {
      arbitrary: fc.record({
        op: fc.constant('publish' as const),
        manifest: fc.constantFrom(...manifestNames),
      }),
      weight: 2,
    },
    { arbitrary: fc.constant({ op: 'start' as const }), weight: 1 },
    { arbitrary: fc.constant({ op: 'tick' as const }), weight: 2 },
    {
      arbitrary: fc.record({
        op: fc.constant('advance' as const),
        ms: fc.constantFrom(1_000, 31_000, 3_600_000),
      }),
      weight: 1,
    },
  );
}

/** Everything fast-check makes, including values JSON cannot carry. */
const anything = fc.anything({
  maxDepth: 2,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

const number = fc.oneof(
  fc.constantFrom(
    72,
    97,
    37.2,
    0,
    -0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53,
    1e308,
  ),
  fc.double(),
  fc.integer(),
);

const kind = fc.oneof(
  { arbitrary: fc.constantFrom(...VITAL_SIGN_KINDS), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'valueOf',
      'HEART-RATE',
      'heart_rate',
      '',
    ),
    weight: 2,
  },
  fc.string({ maxLength: 20 }),
  anything,
);

const value = fc.oneof(
  { arbitrary: number, weight: 3 },
  fc.record(
    { systolic: fc.oneof(number, anything), diastolic: fc.oneof(number, anything) },
    {
      requiredKeys: [],
    },
  ),
  fc.string({ maxLength: 10 }),
  anything,
);

const effective = fc.oneof(
  { arbitrary: fc.date({ noInvalidDate: false }), weight: 3 },
  fc.constantFrom(
    new Date(Number.NaN),
    new Date(8.64e15),
    new Date(-8.64e15),
    new Date(Date.UTC(10_000, 0, 1)),
    new Date(Date.UTC(0, 0, 1) - 1),
    new Date(Date.UTC(2026, 0, 1)),
  ),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  anything,
);

/** A reading-like object with each field possibly wrong, or anything at all. */
const reading = fc.oneof(
  {
    arbitrary: fc.record({ kind, value, effective }, { requiredKeys: [] }),
    weight: 6,
  },
  anything,
);

export const readings = fc.oneof(
  { arbitrary: fc.array(reading, { maxLength: 4 }), weight: 8 },
  fc.sparseArray(reading, { maxLength: 4 }),
  fc
    .integer({ min: 1_001, max: 1_003 })
    .map((n) =>
      Array.from({ length: n }, () => ({ kind: 'heart-rate', value: 72, effective: new Date() })),
    ),
  anything,
);

/** Patient identifiers: empty, blank, control characters, unicode, lone surrogates, huge, not strings. */
export const patientIdentifier = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 3 },
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u200b',
    '\t\r\n',
    'MRN\u0000 0042',
    'MRN 0042\u0007',
    '\u{1F600}',
    '\uD800',
    'ﬀ ＭＲＮ ００４２',
    'İ',
  ),
  fc.integer({ min: 200, max: 300_000 }).map((n) => 'M'.repeat(n)),
  anything,
);
