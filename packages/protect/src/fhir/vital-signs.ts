/**
 * The vital signs a gateway reports, as FHIR R4 vital-signs Observations
 * (http://hl7.org/fhir/R4/observation-vitalsigns.html): one LOINC code per kind,
 * one UCUM unit per measured quantity, and the range of values a real patient
 * can plausibly show. Readings outside that range are refused, not clamped:
 * they point at a broken sensor or a forged reading.
 */

export const LOINC_SYSTEM = 'http://loinc.org';
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
export const OBSERVATION_CATEGORY_SYSTEM =
  'http://terminology.hl7.org/CodeSystem/observation-category';
export const VITAL_SIGNS_CATEGORY = 'vital-signs';

/** The kinds of reading Vigil carries. */
export type VitalSignKind =
  'heart-rate' | 'oxygen-saturation' | 'blood-pressure' | 'body-temperature' | 'respiratory-rate';

export const VITAL_SIGN_KINDS: readonly VitalSignKind[] = [
  'heart-rate',
  'oxygen-saturation',
  'blood-pressure',
  'body-temperature',
  'respiratory-rate',
];

export interface LoincCode {
  readonly code: string;
  readonly display: string;
}

/** A measured quantity: its UCUM unit and plausible range (inclusive, in that unit). */
export interface QuantityDefinition {
  /** UCUM code, e.g. `/min`, `mm[Hg]`. */
  readonly unit: string;
  /** Human-readable unit for `Quantity.unit`. */
  readonly unitDisplay: string;
  readonly min: number;
  readonly max: number;
}

export interface ComponentDefinition extends QuantityDefinition {
  readonly code: LoincCode;
}

export interface VitalSignDefinition {
  readonly kind: VitalSignKind;
  /** The code that identifies the kind (the vital-signs profile's required code). */
  readonly code: LoincCode;
  /** Further LOINC codings allowed next to `code`, never alone. */
  readonly additionalCodes: readonly LoincCode[];
  /** Set for single-valued kinds (`valueQuantity`). */
  readonly quantity?: QuantityDefinition;
  /** Set for panels (`component[]`), keyed by role. */
  readonly components?: {
    readonly systolic: ComponentDefinition;
    readonly diastolic: ComponentDefinition;
  };
}

export const VITAL_SIGNS: Readonly<Record<VitalSignKind, VitalSignDefinition>> = {
  'heart-rate': {
    kind: 'heart-rate',
    code: { code: '8867-4', display: 'Heart rate' },
    additionalCodes: [],
    quantity: { unit: '/min', unitDisplay: 'beats/minute', min: 20, max: 300 },
  },
  'oxygen-saturation': {
    kind: 'oxygen-saturation',
    code: { code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
    // FHIR R4 vital-signs profile: pulse oximetry adds 59408-5 next to 2708-6.
    additionalCodes: [
      { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' },
    ],
    quantity: { unit: '%', unitDisplay: '%', min: 50, max: 100 },
  },
  'blood-pressure': {
    kind: 'blood-pressure',
    code: { code: '85354-9', display: 'Blood pressure panel with all children optional' },
    additionalCodes: [],
    components: {
      systolic: {
        code: { code: '8480-6', display: 'Systolic blood pressure' },
        unit: 'mm[Hg]',
        unitDisplay: 'mmHg',
        min: 40,
        max: 300,
      },
      diastolic: {
        code: { code: '8462-4', display: 'Diastolic blood pressure' },
        unit: 'mm[Hg]',
        unitDisplay: 'mmHg',
        min: 20,
        max: 200,
      },
    },
  },
  'body-temperature': {
    kind: 'body-temperature',
    code: { code: '8310-5', display: 'Body temperature' },
    additionalCodes: [],
    quantity: { unit: 'Cel', unitDisplay: 'C', min: 25, max: 45 },
  },
  'respiratory-rate': {
    kind: 'respiratory-rate',
    code: { code: '9279-1', display: 'Respiratory rate' },
    additionalCodes: [],
    quantity: { unit: '/min', unitDisplay: 'breaths/minute', min: 2, max: 80 },
  },
};

/** The kind whose identifying LOINC code this is, if any. */
export function vitalSignKindOfLoinc(code: string): VitalSignKind | undefined {
  return VITAL_SIGN_KINDS.find((kind) => VITAL_SIGNS[kind].code.code === code);
}

/** Whether `value` lies in the inclusive plausible range of `quantity`. */
export function isPlausible(quantity: QuantityDefinition, value: number): boolean {
  return Number.isFinite(value) && value >= quantity.min && value <= quantity.max;
}
