import type { StoredBatch } from '../api/types.js';
import { extent } from '../charts/chart-scales.js';
import { openPatientBatches } from './open-patient-batches.js';
import type { TelemetryFailure } from './telemetry-failure.js';
import type { TeamKeyring } from './team-keyring.js';
import type { TelemetrySource } from './telemetry-source.js';
import { vitalCharts, type VitalChart } from './vital-series.js';

/** A patient's readings over a period, decrypted in this browser, ready to chart. */
export interface PatientVitals {
  readonly charts: readonly VitalChart[];
  /** First and last reading time over every chart, so the charts share one time axis. */
  readonly timeDomain: readonly [number, number] | undefined;
  /** Readings that opened but are not a vital sign in a unit Vigil charts. */
  readonly notCharted: number;
  /** Batches that did not open, each with its code; the others are charted regardless. */
  readonly failures: readonly { readonly batch: StoredBatch; readonly failure: TelemetryFailure }[];
  readonly batchCount: number;
  readonly readingCount: number;
  /** More batches match than `maxBatches`: the oldest are shown; narrow the period. */
  readonly truncated: boolean;
}

export interface PatientVitalsQuery {
  readonly pseudonym: string;
  /** Epoch milliseconds; both optional. */
  readonly from?: number;
  readonly to?: number;
}

const PAGE_SIZE = 100;
/** About 100 readings a batch (docs/benchmarks.md): some 100,000 readings at most per view. */
const DEFAULT_MAX_BATCHES = 1_000;

/**
 * Fetches a patient's batches page by page (oldest first), opens each with the
 * clinician's keys, and builds the charts. The only thing that rejects is a failed
 * request; every cryptographic failure stays with its batch.
 *
 * @example
 * const vitals = await loadPatientVitals(apiTelemetrySource(orgId), keyring, { pseudonym, from });
 * vitals.charts.map((c) => c.kind); // ['heart-rate', 'blood-pressure']
 */
export async function loadPatientVitals(
  source: TelemetrySource,
  keyring: TeamKeyring,
  query: PatientVitalsQuery,
  options: { readonly maxBatches?: number } = {},
): Promise<PatientVitals> {
  const maxBatches = options.maxBatches ?? DEFAULT_MAX_BATCHES;
  const batches: StoredBatch[] = [];
  let after: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await source.batches({
      pseudonym: query.pseudonym,
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(after === undefined ? {} : { after }),
      limit: Math.min(PAGE_SIZE, maxBatches - batches.length),
    });
    batches.push(...page.batches.slice(0, maxBatches - batches.length));
    if (page.next === null || page.batches.length === 0) break;
    if (batches.length >= maxBatches) {
      truncated = true;
      break;
    }
    after = page.next;
  }

  const outcomes = await openPatientBatches(keyring, query.pseudonym, batches);
  const observations = outcomes.flatMap((o) => ('observations' in o ? o.observations : []));
  const { charts, notCharted } = vitalCharts(observations, {
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
  });
  return {
    charts,
    timeDomain: extent(charts.flatMap((chart) => chart.rows.map((row) => row.time))),
    notCharted,
    failures: outcomes.flatMap((o) => ('failure' in o ? [o] : [])),
    batchCount: outcomes.length,
    readingCount: charts.reduce((sum, chart) => sum + chart.rows.length, 0),
    truncated,
  };
}
