import { VigilError, type ErrorCode } from '@vigil/core/errors';
import type { VitalSignObservation } from './observation.js';
import {
  LOINC_SYSTEM,
  OBSERVATION_CATEGORY_SYSTEM,
  UCUM_SYSTEM,
  VITAL_SIGNS,
  VITAL_SIGNS_CATEGORY,
  isPlausible,
  vitalSignKindOfLoinc,
  type ComponentDefinition,
  type QuantityDefinition,
  type VitalSignDefinition,
} from './vital-signs.js';

/**
 * Vigil's own rules for a reading, on top of the FHIR R4 JSON schema: the
 * schema knows the structure of an Observation, not which codes, units and
 * values make a vital sign, nor that the subject must stay pseudonymous.
 * Written for `unknown` input so that they hold even without the schema.
 */

/** `Identifier.system` of a patient pseudonym (never a name, MRN or national id). */
export const PSEUDONYM_SYSTEM = 'urn:vigil:pseudonym';
/** `Identifier.system` for a URI identifier (FHIR R4 §2.14: urn:ietf:rfc:3986). */
export const DEVICE_IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';

/**
 * The shape `pseudonymFor` produces (pseudonym.ts): `p<version>_` and 32 base32
 * characters of a truncated HMAC. Anything else — a name, an MRN, an email — is
 * refused, even under the pseudonym system.
 */
export const PSEUDONYM_VALUE_PATTERN = /^p[1-9][0-9]{0,5}_[a-z2-7]{32}$/;
const DEVICE_URN_PATTERN =
  /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// FHIR R4 §2.24.0.1 id: [A-Za-z0-9\-\.]{1,64}
const FHIR_ID_PATTERN = /^[A-Za-z0-9.-]{1,64}$/;
// Vital-signs profile: effective[x] at least to the day; we ask for the full instant.
const DATE_TIME_PATTERN =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;
const ACCEPTED_STATUSES: readonly string[] = ['final', 'amended', 'corrected'];

/**
 * Data minimisation (GDPR Art. 5(1)(c)): the only elements a reading may carry.
 * Narrative, notes, performers, encounters, contained resources and extensions
 * could all carry identity, so they are refused rather than inspected.
 */
const OBSERVATION_KEYS = new Set([
  'resourceType',
  'id',
  'meta',
  'status',
  'category',
  'code',
  'subject',
  'effectiveDateTime',
  'issued',
  'device',
  'valueQuantity',
  'component',
]);
const META_KEYS = new Set(['profile', 'lastUpdated', 'versionId']);
const CODEABLE_CONCEPT_KEYS = new Set(['coding', 'text']);
const CODING_KEYS = new Set(['system', 'code', 'display']);
const QUANTITY_KEYS = new Set(['value', 'unit', 'system', 'code']);
const COMPONENT_KEYS = new Set(['code', 'valueQuantity']);
const REFERENCE_KEYS = new Set(['identifier']);
const IDENTIFIER_KEYS = new Set(['system', 'value']);

type Json = Record<string, unknown>;

function fail(code: ErrorCode, message: string, path: string): never {
  throw new VigilError(code, message, { details: { path } });
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, code: ErrorCode, path: string): Json {
  if (!isRecord(value)) fail(code, `${path} must be an object.`, path);
  return value;
}

function array(value: unknown, code: ErrorCode, path: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    fail(code, `${path} must be a non-empty array.`, path);
  return value;
}

function onlyKeys(value: Json, allowed: ReadonlySet<string>, path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      fail(
        'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS',
        `${path}/${key} is not part of a pseudonymous reading and could carry identity.`,
        `${path}/${key}`,
      );
    }
  }
}

function codings(concept: unknown, code: ErrorCode, path: string): Json[] {
  const c = record(concept, code, path);
  onlyKeys(c, CODEABLE_CONCEPT_KEYS, path);
  return array(c['coding'], code, `${path}/coding`).map((coding, i) => {
    const r = record(coding, code, `${path}/coding/${i}`);
    onlyKeys(r, CODING_KEYS, `${path}/coding/${i}`);
    return r;
  });
}

function checkQuantity(value: unknown, definition: QuantityDefinition, path: string): void {
  if (value === undefined) fail('ERR_FHIR_VALUE_RANGE', `${path} is missing.`, path);
  const q = record(value, 'ERR_FHIR_VALUE_RANGE', path);
  onlyKeys(q, QUANTITY_KEYS, path);
  if (q['system'] !== UCUM_SYSTEM || q['code'] !== definition.unit) {
    fail('ERR_FHIR_UNIT', `${path} must be in UCUM ${definition.unit}.`, path);
  }
  checkQuantityValue(q['value'], definition, `${path}/value`);
}

/** A measured value: a number in the plausible range of its definition. */
export function checkQuantityValue(
  value: unknown,
  definition: QuantityDefinition,
  path: string,
): void {
  if (typeof value !== 'number' || !isPlausible(definition, value)) {
    fail(
      'ERR_FHIR_VALUE_RANGE',
      `${path} must be a number from ${definition.min} to ${definition.max} ${definition.unit}.`,
      path,
    );
  }
}

/** Blood pressure: the systolic pressure must exceed the diastolic. */
export function checkSystolicAboveDiastolic(systolic: number, diastolic: number): void {
  if (systolic <= diastolic) {
    fail('ERR_FHIR_VALUE_RANGE', 'Systolic pressure must exceed diastolic.', '/component');
  }
}

/** FHIR R4 `id`, when present. */
export function checkId(value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || !FHIR_ID_PATTERN.test(value))) {
    fail('ERR_FHIR_SCHEMA', 'id must be 1-64 characters of A-Z a-z 0-9 - .', '/id');
  }
}

/** The subject's identifier value: a pseudonym as `pseudonymFor` makes it, nothing else. */
export function checkPseudonymValue(value: unknown): void {
  if (typeof value !== 'string' || !PSEUDONYM_VALUE_PATTERN.test(value)) {
    fail(
      'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS',
      `The subject must be a ${PSEUDONYM_SYSTEM} identifier.`,
      '/subject/identifier',
    );
  }
}

/** The device's identifier value: `urn:uuid:` and a lower-case UUID. */
export function checkDeviceUrn(value: unknown): void {
  if (typeof value !== 'string' || !DEVICE_URN_PATTERN.test(value)) {
    fail('ERR_FHIR_DEVICE', 'The device must be a urn:uuid identifier.', '/device/identifier');
  }
}

/** The kind named by `code`: exactly one identifying LOINC code, plus its allowed extras. */
function checkCode(value: unknown): VitalSignDefinition {
  const all = codings(value, 'ERR_FHIR_CODE', '/code');
  let definition: VitalSignDefinition | undefined;
  for (const coding of all) {
    const c = coding['code'];
    const kind =
      coding['system'] === LOINC_SYSTEM && typeof c === 'string'
        ? vitalSignKindOfLoinc(c)
        : undefined;
    if (kind === undefined) continue;
    if (definition !== undefined) fail('ERR_FHIR_CODE', 'More than one vital-sign code.', '/code');
    definition = VITAL_SIGNS[kind];
  }
  if (definition === undefined) fail('ERR_FHIR_CODE', 'No known vital-sign LOINC code.', '/code');
  const allowed = new Set([definition.code.code, ...definition.additionalCodes.map((c) => c.code)]);
  const seen = new Set<string>();
  for (const coding of all) {
    const c = coding['code'];
    if (
      coding['system'] !== LOINC_SYSTEM ||
      typeof c !== 'string' ||
      !allowed.has(c) ||
      seen.has(c)
    ) {
      fail('ERR_FHIR_CODE', `A coding that does not belong to ${definition.kind}.`, '/code/coding');
    }
    seen.add(c);
  }
  return definition;
}

function checkComponents(
  value: unknown,
  components: { systolic: ComponentDefinition; diastolic: ComponentDefinition },
): void {
  const list = array(value, 'ERR_FHIR_CODE', '/component');
  const values = new Map<string, number>();
  list.forEach((item, i) => {
    const path = `/component/${i}`;
    const component = record(item, 'ERR_FHIR_CODE', path);
    onlyKeys(component, COMPONENT_KEYS, path);
    const coding = codings(component['code'], 'ERR_FHIR_CODE', `${path}/code`);
    const role = (['systolic', 'diastolic'] as const).find(
      (r) => components[r].code.code === coding[0]?.['code'],
    );
    if (coding.length !== 1 || coding[0]?.['system'] !== LOINC_SYSTEM || role === undefined) {
      fail('ERR_FHIR_CODE', `${path}/code is not systolic or diastolic pressure.`, `${path}/code`);
    }
    if (values.has(role)) fail('ERR_FHIR_CODE', `Two ${role} components.`, path);
    checkQuantity(component['valueQuantity'], components[role], `${path}/valueQuantity`);
    values.set(role, (component['valueQuantity'] as Json)['value'] as number);
  });
  const systolic = values.get('systolic');
  const diastolic = values.get('diastolic');
  if (systolic === undefined || diastolic === undefined) {
    fail(
      'ERR_FHIR_CODE',
      'Blood pressure needs a systolic and a diastolic component.',
      '/component',
    );
  }
  checkSystolicAboveDiastolic(systolic, diastolic);
}

function checkSubject(value: unknown): void {
  const code = 'ERR_FHIR_IDENTIFIER_NOT_PSEUDONYMOUS';
  // A Reference's reference/display/type could name the patient: identifier only.
  const subject = record(value, code, '/subject');
  onlyKeys(subject, REFERENCE_KEYS, '/subject');
  const identifier = record(subject['identifier'], code, '/subject/identifier');
  onlyKeys(identifier, IDENTIFIER_KEYS, '/subject/identifier');
  if (identifier['system'] !== PSEUDONYM_SYSTEM) {
    fail(code, `The subject must be a ${PSEUDONYM_SYSTEM} identifier.`, '/subject/identifier');
  }
  checkPseudonymValue(identifier['value']);
}

function checkDevice(value: unknown): void {
  const code = 'ERR_FHIR_DEVICE';
  const device = record(value, code, '/device');
  onlyKeys(device, REFERENCE_KEYS, '/device');
  const identifier = record(device['identifier'], code, '/device/identifier');
  onlyKeys(identifier, IDENTIFIER_KEYS, '/device/identifier');
  if (identifier['system'] !== DEVICE_IDENTIFIER_SYSTEM) {
    fail(code, 'The device must be a urn:uuid identifier.', '/device/identifier');
  }
  checkDeviceUrn(identifier['value']);
}

function checkCategory(value: unknown): void {
  const categories = array(value, 'ERR_FHIR_CATEGORY', '/category');
  const vital = categories.some((concept, i) =>
    codings(concept, 'ERR_FHIR_CATEGORY', `/category/${i}`).some(
      (c) => c['system'] === OBSERVATION_CATEGORY_SYSTEM && c['code'] === VITAL_SIGNS_CATEGORY,
    ),
  );
  if (!vital) fail('ERR_FHIR_CATEGORY', 'The category must include vital-signs.', '/category');
}

function checkDateTime(value: unknown, code: ErrorCode, path: string): void {
  if (
    typeof value !== 'string' ||
    !DATE_TIME_PATTERN.test(value) ||
    !Number.isFinite(Date.parse(value))
  ) {
    fail(code, `${path} must be a date-time with seconds and a time zone.`, path);
  }
}

/**
 * Applies Vigil's rules to an Observation and returns it typed.
 * Throws only VigilError with an ERR_FHIR_ code.
 */
export function checkVitalSignRules(value: unknown): VitalSignObservation {
  const obs = record(value, 'ERR_FHIR_SCHEMA', '');
  if (obs['resourceType'] !== 'Observation') {
    fail('ERR_FHIR_SCHEMA', 'resourceType must be Observation.', '/resourceType');
  }
  // FHIR R4 Observation.status is 1..1; the JSON schema does not enforce cardinality.
  if (obs['status'] === undefined) fail('ERR_FHIR_SCHEMA', 'status is required (1..1).', '/status');
  if (typeof obs['status'] !== 'string' || !ACCEPTED_STATUSES.includes(obs['status'])) {
    fail('ERR_FHIR_STATUS', 'status must be final, amended or corrected.', '/status');
  }
  onlyKeys(obs, OBSERVATION_KEYS, '');
  checkId(obs['id']);
  if (obs['meta'] !== undefined)
    onlyKeys(record(obs['meta'], 'ERR_FHIR_SCHEMA', '/meta'), META_KEYS, '/meta');
  checkSubject(obs['subject']);
  checkDevice(obs['device']);
  checkDateTime(obs['effectiveDateTime'], 'ERR_FHIR_EFFECTIVE', '/effectiveDateTime');
  if (obs['issued'] !== undefined) checkDateTime(obs['issued'], 'ERR_FHIR_SCHEMA', '/issued');
  checkCategory(obs['category']);
  const definition = checkCode(obs['code']);
  if (definition.components !== undefined) {
    // Vital-signs BP profile: the panel carries its values in components only.
    if (obs['valueQuantity'] !== undefined) {
      fail('ERR_FHIR_CODE', 'A blood pressure panel has no valueQuantity.', '/valueQuantity');
    }
    checkComponents(obs['component'], definition.components);
  } else if (definition.quantity !== undefined) {
    if (obs['component'] !== undefined) {
      fail('ERR_FHIR_CODE', `${definition.kind} has no components.`, '/component');
    }
    checkQuantity(obs['valueQuantity'], definition.quantity, '/valueQuantity');
  }
  return obs as unknown as VitalSignObservation;
}
