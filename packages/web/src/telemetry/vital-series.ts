import { LOINC_SYSTEM, UCUM_SYSTEM, VITAL_SIGNS, VITAL_SIGN_KINDS } from '@vigil/protect';
import type { VitalSignKind } from '@vigil/protect';

/**
 * Turns opened FHIR R4 vital-signs Observations into one chart's worth of series per
 * kind: the LOINC code says the kind, the UCUM code the unit (the catalogue of
 * @vigil/protect's `VITAL_SIGNS`). The readings were signed by the gateway that
 * checked them against the same catalogue, so anything else — another code, another
 * unit, a missing value — is counted and left out rather than guessed at. (Full FHIR
 * validation needs ajv's generated code, which this page's CSP forbids; ADR 0010 §6.)
 */

/** `value` for single-valued kinds; the two components of a blood-pressure panel. */
export type VitalLineId = 'value' | 'systolic' | 'diastolic';

export interface VitalReading {
  /** Epoch milliseconds of `effectiveDateTime`. */
  readonly time: number;
  readonly value: number;
}

export interface VitalLine {
  readonly id: VitalLineId;
  readonly label: string;
  /** Oldest first. */
  readonly readings: readonly VitalReading[];
}

/** One observation: its time and the value of each line (blood pressure: both). */
export interface ReadingRow {
  readonly time: number;
  readonly values: Readonly<Partial<Record<VitalLineId, number>>>;
}

export interface VitalChart {
  readonly kind: VitalSignKind;
  readonly title: string;
  /** UCUM code, e.g. `/min`, `mm[Hg]`, `Cel`. */
  readonly unit: string;
  /** How people read the unit, e.g. "beats/minute". */
  readonly unitDisplay: string;
  readonly lines: readonly VitalLine[];
  /** The same readings, one per observation, oldest first: the table under the chart. */
  readonly rows: readonly ReadingRow[];
}

export interface VitalCharts {
  /** In the catalogue's order; only kinds with at least one reading. */
  readonly charts: readonly VitalChart[];
  /** Observations left out: not a vital sign Vigil charts, or not in its unit. */
  readonly notCharted: number;
}

const TITLES: Readonly<Record<VitalSignKind, string>> = {
  'heart-rate': 'Heart rate',
  'oxygen-saturation': 'Oxygen saturation (SpO₂)',
  'blood-pressure': 'Blood pressure',
  'body-temperature': 'Body temperature',
  'respiratory-rate': 'Respiratory rate',
};

/** How units read on screen where FHIR's `Quantity.unit` is terse (UCUM `Cel` is "C" there). */
const UNIT_DISPLAY: Readonly<Record<string, string>> = { Cel: '°C' };

const LINE_LABELS: Readonly<Partial<Record<VitalLineId, string>>> = {
  systolic: 'Systolic',
  diastolic: 'Diastolic',
};

type Json = Readonly<Record<string, unknown>>;

/**
 * @example
 * const { charts } = vitalCharts(outcomes.flatMap((o) => ('observations' in o ? o.observations : [])));
 * charts[0]; // { kind: 'heart-rate', unit: '/min', lines: [{ id: 'value', readings: [...] }] }
 */
export function vitalCharts(
  observations: Iterable<unknown>,
  options: {
    /** Keep only readings taken in [from, to] (epoch ms): a batch may straddle the period. */
    readonly from?: number;
    readonly to?: number;
  } = {},
): VitalCharts {
  const byKind = new Map<VitalSignKind, ReadingRow[]>();
  let notCharted = 0;
  for (const observation of observations) {
    const parsed = readObservation(observation);
    if (parsed === undefined) {
      notCharted += 1;
      continue;
    }
    if (
      (options.from !== undefined && parsed.time < options.from) ||
      (options.to !== undefined && parsed.time > options.to)
    ) {
      continue;
    }
    const rows = byKind.get(parsed.kind) ?? [];
    byKind.set(parsed.kind, rows);
    rows.push({ time: parsed.time, values: parsed.values });
  }
  const charts = VITAL_SIGN_KINDS.flatMap((kind): VitalChart[] => {
    const definition = VITAL_SIGNS[kind];
    const unit = definition.quantity ?? definition.components?.systolic;
    const unsorted = byKind.get(kind);
    if (unsorted === undefined || unit === undefined) return [];
    // Array#sort is stable: readings at the same instant keep the order they arrived in.
    const rows = [...unsorted].sort((a, b) => a.time - b.time);
    const ids: readonly VitalLineId[] = definition.components
      ? ['systolic', 'diastolic']
      : ['value'];
    const lines = ids.map((id) => ({
      id,
      label: LINE_LABELS[id] ?? TITLES[kind],
      readings: rows.flatMap(({ time, values }) => {
        const value = values[id];
        return value === undefined ? [] : [{ time, value }];
      }),
    }));
    return [
      {
        kind,
        title: TITLES[kind],
        unit: unit.unit,
        unitDisplay: UNIT_DISPLAY[unit.unit] ?? unit.unitDisplay,
        lines,
        rows,
      },
    ];
  });
  return { charts, notCharted };
}

function readObservation(
  value: unknown,
): { kind: VitalSignKind; time: number; values: Partial<Record<VitalLineId, number>> } | undefined {
  if (!isRecord(value) || value['resourceType'] !== 'Observation') return undefined;
  const time =
    typeof value['effectiveDateTime'] === 'string' ? Date.parse(value['effectiveDateTime']) : NaN;
  if (!Number.isFinite(time)) return undefined;
  const kind = VITAL_SIGN_KINDS.find((k) => hasLoinc(value['code'], VITAL_SIGNS[k].code.code));
  if (kind === undefined) return undefined;
  const definition = VITAL_SIGNS[kind];
  if (definition.components !== undefined) {
    const components = Array.isArray(value['component']) ? (value['component'] as unknown[]) : [];
    const { systolic, diastolic } = definition.components;
    const find = (code: string, unit: string) =>
      quantityValue(
        components.find((c) => isRecord(c) && hasLoinc(c['code'], code)),
        unit,
      );
    const s = find(systolic.code.code, systolic.unit);
    const d = find(diastolic.code.code, diastolic.unit);
    if (s === undefined || d === undefined) return undefined;
    return { kind, time, values: { systolic: s, diastolic: d } };
  }
  if (definition.quantity === undefined) return undefined;
  const single = quantityValue(value, definition.quantity.unit);
  return single === undefined ? undefined : { kind, time, values: { value: single } };
}

function hasLoinc(concept: unknown, code: string): boolean {
  if (!isRecord(concept) || !Array.isArray(concept['coding'])) return false;
  return (concept['coding'] as unknown[]).some(
    (coding) => isRecord(coding) && coding['system'] === LOINC_SYSTEM && coding['code'] === code,
  );
}

/** The number of `holder.valueQuantity` if it is in `unit` (UCUM), else undefined. */
function quantityValue(holder: unknown, unit: string): number | undefined {
  if (!isRecord(holder)) return undefined;
  const quantity = holder['valueQuantity'];
  if (!isRecord(quantity) || quantity['system'] !== UCUM_SYSTEM || quantity['code'] !== unit) {
    return undefined;
  }
  const value = quantity['value'];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
