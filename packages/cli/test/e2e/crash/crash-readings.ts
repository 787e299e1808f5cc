import type { VitalSignReading } from '@vigil/protect';

/**
 * What the crash test's gateway records, as pure functions of a counter, so the
 * test can recompute every reading from a number alone: reading `c` is taken at
 * `base + c` seconds (its effective time encodes `c`) and its kind and value
 * follow from `c`. A record (one batch) starting at counter `k` holds
 * `readingsInRecord(k)` consecutive readings of patient `patientOfRecord(k)`.
 * Counters are never reused, so every reading the gateway ever makes is unique.
 */

/** Patients the gateway reports for. */
export const CRASH_PATIENTS = ['MRN-CRASH-1', 'MRN-CRASH-2', 'MRN-CRASH-3'] as const;

/**
 * How many readings the record starting at `k` holds: mostly 1–4, about one in
 * ten 40 (a longer upload). Drawn from a hash of `k`, not `k % 10`, which a
 * record of 40 would leave unchanged for every record after it.
 */
export function readingsInRecord(k: number): number {
  const draw = Math.imul(k + 1, 0x9e3779b1) >>> 0;
  return (draw >>> 20) % 10 === 7 ? 40 : 1 + ((draw >>> 8) & 3);
}

export function patientOfRecord(k: number): string {
  return CRASH_PATIENTS[k % CRASH_PATIENTS.length] as string;
}

/** Reading `c`'s kind and value, always inside the plausible ranges `vitalSignObservation` checks. */
export function readingValue(c: number): VitalSignReading {
  switch (c % 5) {
    case 0:
      return { kind: 'heart-rate', value: 40 + (c % 140) };
    case 1:
      return { kind: 'oxygen-saturation', value: 80 + (c % 21) };
    case 2:
      return {
        kind: 'blood-pressure',
        value: { systolic: 100 + (c % 80), diastolic: 50 + (c % 40) },
      };
    case 3:
      return { kind: 'body-temperature', value: 35 + (c % 50) / 10 };
    default:
      return { kind: 'respiratory-rate', value: 8 + (c % 30) };
  }
}

/** When reading `c` was taken: `base` (epoch ms, whole seconds) plus `c` seconds. */
export function effectiveOf(c: number, base: number): Date {
  return new Date(base + c * 1_000);
}

/** The counter a reading's effective time encodes, or NaN when it encodes none. */
export function counterOf(effectiveDateTime: string, base: number): number {
  const c = (Date.parse(effectiveDateTime) - base) / 1_000;
  return Number.isSafeInteger(c) && c >= 0 ? c : Number.NaN;
}
