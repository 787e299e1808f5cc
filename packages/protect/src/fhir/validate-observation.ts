import { VigilError } from '@vigil/core/errors';
import type { FhirSchemaValidator } from './fhir-schema-validator.js';
import type { VitalSignObservation } from './observation.js';
import { checkVitalSignRules } from './observation-rules.js';

export interface ValidateObservationOptions {
  /** The official FHIR R4 schema, compiled: `createFhirSchemaValidator(fhirSchemaJson)`. */
  schemaValidator: FhirSchemaValidator;
}

/**
 * Validates a reading received from outside: first against the official FHIR R4
 * JSON schema (structure), then against Vigil's rules (vital-sign LOINC code,
 * UCUM unit, plausible value, pseudonymous subject, the gateway's device,
 * a full effectiveDateTime). Returns the Observation typed; inside, trust it.
 *
 * Throws only VigilError, with an ERR_FHIR_ code; `details.path` points at the
 * offending element (a JSON pointer), `details.keyword` names the schema rule.
 *
 * @example
 * try {
 *   const obs = validateObservation(JSON.parse(body), { schemaValidator });
 * } catch (e) {
 *   if (isVigilError(e) && e.code === 'ERR_FHIR_UNIT') …
 * }
 */
export function validateObservation(
  value: unknown,
  options: ValidateObservationOptions,
): VitalSignObservation {
  let result;
  try {
    result = options.schemaValidator(value);
  } catch (cause) {
    // Deeply nested input can exhaust the stack inside the generated validator.
    throw new VigilError(
      'ERR_FHIR_SCHEMA',
      'The Observation cannot be checked against the schema.',
      {
        cause,
        details: { path: '', keyword: 'unprocessable' },
      },
    );
  }
  if (!result.valid) {
    throw new VigilError(
      'ERR_FHIR_SCHEMA',
      `FHIR R4 schema: ${result.path || '/'} ${result.message}.`,
      {
        details: { path: result.path, keyword: result.keyword },
      },
    );
  }
  try {
    return checkVitalSignRules(value);
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('ERR_FHIR_SCHEMA', 'The Observation cannot be checked.', { cause: error });
  }
}
