export { derivePseudonymKey, normalisePatientId, pseudonymFor } from './pseudonym.js';
export { PseudonymTable, type PseudonymEntry, type PseudonymTableJson } from './pseudonym-table.js';
export {
  generateKeyPair,
  holdPrivateKey,
  isHeldPrivateKey,
  keyIdOf,
  toPrivateJwk,
  toPublicJwk,
  type EcKeyPair,
  type HeldPrivateKey,
  type PrivateEcJwk,
  type PublicEcJwk,
} from './keys.js';
export {
  TEAM_KEY_JWE_TYPE,
  grantOldEpoch,
  newEpoch,
  unwrapTeamKey,
  wrapTeamKey,
  type TeamEpoch,
  type TeamKeyContext,
} from './key-wrap.js';
export {
  parseShare,
  rebuildRecoveryKey,
  splitRecoveryKey,
  type RecoveryShare,
} from './recovery-shares.js';
export {
  PSEUDONYM_TABLE_JWE_TYPE,
  generateTableStorageKey,
  openTableForGateway,
  openTableForStaff,
  sealTableForGateway,
  sealTableForStaff,
} from './pseudonym-table-sealing.js';
export {
  LOINC_SYSTEM,
  OBSERVATION_CATEGORY_SYSTEM,
  UCUM_SYSTEM,
  VITAL_SIGNS,
  VITAL_SIGNS_CATEGORY,
  VITAL_SIGN_KINDS,
  type VitalSignDefinition,
  type VitalSignKind,
} from './fhir/vital-signs.js';
export {
  vitalSignObservation,
  type VitalSignObservation,
  type VitalSignObservationInput,
  type VitalSignReading,
} from './fhir/observation.js';
export {
  DEVICE_IDENTIFIER_SYSTEM,
  PSEUDONYM_SYSTEM,
  PSEUDONYM_VALUE_PATTERN,
} from './fhir/observation-rules.js';
export {
  createFhirSchemaValidator,
  type FhirSchemaResult,
  type FhirSchemaValidator,
} from './fhir/fhir-schema-validator.js';
export {
  validateObservation,
  type ValidateObservationOptions,
} from './fhir/validate-observation.js';
export {
  KEY_MANIFEST_JWS_TYP,
  KEY_MANIFEST_TYP,
  type KeyManifestMember,
  type KeyManifestPayload,
  type P256PublicJwk,
} from './manifest/key-manifest.js';
export {
  generateSigningKeyPair,
  signingKeyId,
  type P256PrivateJwk,
  type SigningKeyPair,
} from './manifest/signing-key.js';
export { signManifest } from './manifest/sign-manifest.js';
export {
  verifyManifest,
  type ManifestPins,
  type VerifyManifestOptions,
} from './manifest/verify-manifest.js';
export {
  DATA_KEY_JWE_TYPE,
  newDataKey,
  unwrapDataKey,
  type DataKey,
  type DataKeyContext,
  type NewDataKey,
} from './batch/data-key.js';
export {
  BATCH_JWE_TYPE,
  BATCH_JWS_TYPE,
  structureOfBatch,
  type BatchBinding,
  type BatchStructure,
} from './batch/batch-header.js';
export { protectBatch, type BatchInput } from './batch/protect-batch.js';
export { openBatch, type OpenBatchOptions, type OpenedBatch } from './batch/open-batch.js';
export {
  KEYSTORE_FORMAT,
  KEYSTORE_MAX_ITERATIONS,
  KEYSTORE_MIN_ITERATIONS,
  KEYSTORE_VERSION,
  type SealedKeystore,
} from './keystore/keystore-header.js';
export { type KeystoreContents } from './keystore/keystore-contents.js';
export {
  KEYSTORE_MIN_PASSPHRASE_LENGTH,
  openKeystore,
  sealKeystore,
  type SealKeystoreOptions,
} from './keystore/keystore.js';
export {
  PSEUDONYM_SECRET_JWE_TYPE,
  openPseudonymSecretForStaff,
  sealPseudonymSecretForStaff,
} from './keystore/pseudonym-secret-sealing.js';
