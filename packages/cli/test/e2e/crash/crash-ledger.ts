/**
 * The crash test's ledger and the check it makes against what the server
 * stored. Pure: text and decoded batches in, violations out, so the check
 * itself can be tested (crash.test.ts makes it fail on purpose).
 *
 * The gateway appends one JSON line per event, each fsynced before it goes on:
 * - `{"t":"attempt","k":…,"n":…,"patient":…}` before `record()` is called for
 *   counters k … k+n-1 (so a counter is never used twice, even across kill -9);
 * - `{"t":"accepted","k":…,"sequence":…}` after `record()` resolved: from here on
 *   the readings are the gateway's promise to deliver.
 * A kill can cut the last line short; such a line is unreadable and ignored (it
 * was written before the `record()` it announces, which therefore never ran).
 */

export type LedgerLine =
  | { readonly t: 'attempt'; readonly k: number; readonly n: number; readonly patient: string }
  | { readonly t: 'accepted'; readonly k: number; readonly sequence: number };

export interface Ledger {
  /** First counter of a record → its reading count and patient. */
  readonly attempts: ReadonlyMap<number, { readonly n: number; readonly patient: string }>;
  /** First counter of a record whose `record()` resolved → the sequence it was given. */
  readonly accepted: ReadonlyMap<number, number>;
  /** Lines that did not parse (cut short by a kill). */
  readonly unreadable: number;
  /** Problems in the ledger itself (a counter reused, an acceptance without an attempt). */
  readonly problems: readonly string[];
}

/** A batch the server stored, opened: whose it is and the counters its readings encode. */
export interface StoredBatch {
  readonly deviceId: string;
  readonly sequence: number;
  readonly pseudonym: string;
  /** Per reading: its counter (NaN if its time encodes none), and whether it is exactly reading `counter`. */
  readonly readings: readonly { readonly counter: number; readonly matches: boolean }[];
}

export interface Audit {
  readonly violations: string[];
  readonly acceptedReadings: number;
  readonly storedReadings: number;
  /** Records stored although the gateway was killed before it logged them accepted. */
  readonly storedUnacknowledged: number;
}

export function ledgerLine(line: LedgerLine): string {
  return `${JSON.stringify(line)}\n`;
}

export function parseLedger(text: string): Ledger {
  const attempts = new Map<number, { n: number; patient: string }>();
  const accepted = new Map<number, number>();
  const problems: string[] = [];
  let unreadable = 0;
  /** Counters only go up: an attempt below this reuses one. */
  let nextFree = 0;
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: LedgerLine;
    try {
      line = JSON.parse(raw) as LedgerLine;
    } catch {
      unreadable++;
      continue;
    }
    if (line.t === 'attempt') {
      if (line.k < nextFree) problems.push(`counter ${line.k} reused`);
      nextFree = Math.max(nextFree, line.k + line.n);
      attempts.set(line.k, { n: line.n, patient: line.patient });
    } else if (line.t === 'accepted') {
      if (!attempts.has(line.k)) problems.push(`record ${line.k} accepted but never attempted`);
      accepted.set(line.k, line.sequence);
    }
  }
  return { attempts, accepted, unreadable, problems };
}

/**
 * Every reading the gateway accepted is stored exactly once, in the batch of
 * the sequence `record()` returned, and nothing is stored that the gateway did
 * not generate: each stored batch is exactly one attempted record (its
 * counters, its patient's pseudonym, readings equal to what the counters give),
 * no counter is stored twice and no (device, sequence) either.
 */
export function auditStorage(
  ledger: Ledger,
  batches: readonly StoredBatch[],
  pseudonymOf: (patient: string) => string,
): Audit {
  const violations = [...ledger.problems];
  const bySequence = new Map<string, number>();
  const timesStored = new Map<number, number>();
  const recordsStored = new Map<number, number[]>();
  for (const batch of batches) {
    const where = `batch ${batch.deviceId}#${batch.sequence}`;
    const key = `${batch.deviceId}#${batch.sequence}`;
    bySequence.set(key, (bySequence.get(key) ?? 0) + 1);
    const counters = batch.readings.map((r) => r.counter);
    for (const c of counters) timesStored.set(c, (timesStored.get(c) ?? 0) + 1);
    if (batch.readings.some((r) => !r.matches || Number.isNaN(r.counter))) {
      violations.push(`${where} holds a reading the gateway never generated`);
      continue;
    }
    const first = Math.min(...counters);
    const attempt = ledger.attempts.get(first);
    if (attempt === undefined) {
      violations.push(`${where} starts at counter ${first}, which no record attempted`);
      continue;
    }
    const expected = Array.from({ length: attempt.n }, (_, i) => first + i);
    if (counters.join() !== expected.join()) {
      violations.push(
        `${where} holds counters ${counters.join()}, record ${first} made ${expected.join()}`,
      );
    }
    if (batch.pseudonym !== pseudonymOf(attempt.patient)) {
      violations.push(`${where} is filed under another patient than record ${first}'s`);
    }
    recordsStored.set(first, [...(recordsStored.get(first) ?? []), batch.sequence]);
  }
  for (const [key, n] of bySequence) {
    if (n > 1) violations.push(`batch ${key} stored ${n} times`);
  }
  for (const [c, n] of timesStored) {
    if (n > 1) violations.push(`reading ${c} stored ${n} times`);
  }
  let acceptedReadings = 0;
  for (const [k, sequence] of ledger.accepted) {
    acceptedReadings += ledger.attempts.get(k)?.n ?? 0;
    const stored = recordsStored.get(k) ?? [];
    if (stored.length === 0)
      violations.push(`accepted record ${k} (sequence ${sequence}) is missing`);
    else if (stored.length > 1 || stored[0] !== sequence) {
      violations.push(
        `accepted record ${k} is stored as sequence(s) ${stored.join()}, not ${sequence}`,
      );
    }
  }
  return {
    violations,
    acceptedReadings,
    storedReadings: [...timesStored.values()].reduce((a, b) => a + b, 0),
    storedUnacknowledged: [...recordsStored.keys()].filter((k) => !ledger.accepted.has(k)).length,
  };
}
