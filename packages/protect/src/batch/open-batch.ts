import { VigilError } from '@vigil/core/errors';
import { compactDecrypt, compactVerify, importJWK, type CryptoKey } from 'jose';
import type { VitalSignObservation } from '../fhir/observation.js';
import type { P256PublicJwk } from '../manifest/key-manifest.js';
import {
  BATCH_CONTENT_ENCRYPTION,
  BATCH_JWS_TYPE,
  BATCH_KEY_MANAGEMENT,
  BINDING_FIELDS,
  DEFAULT_MAX_BATCH_LENGTH,
  compactSegments,
  decodeJsonSegment,
  fail,
  parseBatchHeader,
  type BatchStructure,
} from './batch-header.js';
import { isCryptoKey, observationsBelongTo } from './protect-batch.js';

type MaybePromise<T> = T | Promise<T>;

export interface OpenBatchOptions {
  /** The unwrapped data key named by a batch's `kid`, or undefined if unknown. */
  readonly dataKeys: (kid: string) => MaybePromise<CryptoKey | undefined>;
  /** The enrolled device's ECDSA P-256 public key, or undefined if unknown. */
  readonly deviceVerificationKey: (
    deviceId: string,
  ) => MaybePromise<CryptoKey | P256PublicJwk | undefined>;
  /** Refuse a batch of another organisation, device or patient than these. */
  readonly expected?: {
    readonly organisationId: string;
    readonly deviceId?: string;
    readonly pseudonym?: string;
  };
  /** The highest sequence already accepted from this device: anything ≤ it is a replay. */
  readonly lastSequence?: number;
  /** The longest batch accepted (characters; default 4 MiB). */
  readonly maxLength?: number;
}

/** An opened, authenticated batch. Observations still go through `validateObservation`. */
export interface OpenedBatch extends BatchStructure {
  readonly observations: readonly VitalSignObservation[];
}

const PAYLOAD_FIELDS = new Set<string>([...BINDING_FIELDS, 'observations']);
const KEY_CARRYING_HEADERS = ['jwk', 'jku', 'x5c', 'x5u', 'x5t', 'x5t#S256', 'crit', 'b64'];

/**
 * Opens a protected batch: checks the header's algorithms (`dir` + A256GCM only),
 * decrypts with the data key its `kid` names (the header is the AAD, so an edited
 * organisation, device, sequence, time or pseudonym fails here), verifies the
 * device's ES256 signature, checks that the signed payload says what the header
 * says (a batch re-encrypted under another header fails), and refuses replays.
 * Every failure is a VigilError; jose's errors are only ever the `cause`.
 *
 * @throws VigilError ERR_BATCH_MALFORMED, ERR_PROTECT_ALGORITHM_REFUSED, ERR_BATCH_KEY_UNKNOWN,
 *   ERR_BATCH_DECRYPTION_FAILED, ERR_BATCH_SIGNATURE, ERR_BATCH_BINDING, ERR_BATCH_REPLAYED
 * @example
 * const batch = await openBatch(jwe, {
 *   dataKeys: (kid) => keyring.get(kid),
 *   deviceVerificationKey: (id) => devices.publicKeyOf(id),
 *   expected: { organisationId: 'org-1' },
 *   lastSequence: await cursor.lastSequenceOf(deviceId),
 * });
 */
export async function openBatch(jwe: unknown, options: OpenBatchOptions): Promise<OpenedBatch> {
  const maxLength = options.maxLength ?? DEFAULT_MAX_BATCH_LENGTH;
  const [protectedHeader = ''] = compactSegments(jwe, 5, maxLength);
  const header = parseBatchHeader(
    decodeJsonSegment(protectedHeader, 'ERR_BATCH_MALFORMED', 'header'),
  );
  const dataKey = await options.dataKeys(header.kid);
  if (dataKey === undefined) {
    throw new VigilError('ERR_BATCH_KEY_UNKNOWN', 'No data key with this kid is known.', {
      details: { kid: header.kid, epoch: header.epoch },
    });
  }
  let jws: string;
  try {
    const { plaintext } = await compactDecrypt(jwe as string, dataKey, {
      keyManagementAlgorithms: [BATCH_KEY_MANAGEMENT],
      contentEncryptionAlgorithms: [BATCH_CONTENT_ENCRYPTION],
    });
    jws = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch (cause) {
    return fail('ERR_BATCH_DECRYPTION_FAILED', 'The batch cannot be decrypted.', cause);
  }
  const payload = await verifySignature(jws, header.deviceId, options);
  checkBinding(payload, header);
  const { expected, lastSequence } = options;
  if (
    expected !== undefined &&
    (header.organisationId !== expected.organisationId ||
      (expected.deviceId !== undefined && header.deviceId !== expected.deviceId) ||
      (expected.pseudonym !== undefined && header.pseudonym !== expected.pseudonym))
  ) {
    fail('ERR_BATCH_BINDING', 'The batch belongs to another organisation, device or patient.');
  }
  if (lastSequence !== undefined && header.sequence <= lastSequence) {
    throw new VigilError('ERR_BATCH_REPLAYED', 'This sequence number was already accepted.', {
      details: { deviceId: header.deviceId, sequence: header.sequence, lastSequence },
    });
  }
  return { ...header, observations: payload['observations'] as VitalSignObservation[] };
}

async function verifySignature(
  jws: string,
  deviceId: string,
  options: OpenBatchOptions,
): Promise<Record<string, unknown>> {
  const segments = compactSegments(jws, 3, Number.MAX_SAFE_INTEGER);
  const jwsHeader = decodeJsonSegment(segments[0] ?? '', 'ERR_BATCH_SIGNATURE', 'JWS header');
  if (typeof jwsHeader !== 'object' || jwsHeader === null || Array.isArray(jwsHeader)) {
    fail('ERR_BATCH_SIGNATURE', 'The JWS header must be a JSON object.');
  }
  const h = jwsHeader as Record<string, unknown>;
  // RFC 8725 §3.1 and §3.11: ES256 only, the explicit typ, and no key chosen by the signer.
  if (
    h['alg'] !== 'ES256' ||
    h['typ'] !== BATCH_JWS_TYPE ||
    KEY_CARRYING_HEADERS.some((name) => Object.hasOwn(h, name))
  ) {
    fail('ERR_BATCH_SIGNATURE', `The batch must be signed with ES256 as a ${BATCH_JWS_TYPE}.`);
  }
  const key = await verificationKeyOf(await options.deviceVerificationKey(deviceId), deviceId);
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(jws, key, { algorithms: ['ES256'] }));
  } catch (cause) {
    return fail('ERR_BATCH_SIGNATURE', "The batch is not signed by the device's key.", cause);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (cause) {
    return fail('ERR_BATCH_MALFORMED', 'The signed payload is not JSON.', cause);
  }
  if (
    typeof payload !== 'object' ||
    payload === null ||
    Array.isArray(payload) ||
    !Object.keys(payload).every((name) => PAYLOAD_FIELDS.has(name)) ||
    !Array.isArray((payload as Record<string, unknown>)['observations'])
  ) {
    fail('ERR_BATCH_MALFORMED', 'The signed payload is not a batch.');
  }
  return payload as Record<string, unknown>;
}

async function verificationKeyOf(
  key: CryptoKey | P256PublicJwk | undefined,
  deviceId: string,
): Promise<CryptoKey> {
  if (key === undefined) {
    throw new VigilError('ERR_BATCH_SIGNATURE', 'The device is not known.', {
      details: { deviceId },
    });
  }
  if (isCryptoKey(key)) return key;
  try {
    const imported = await importJWK(key, 'ES256');
    if (isCryptoKey(imported)) return imported;
  } catch (cause) {
    return fail('ERR_PROTECT_PARAMETERS_INVALID', "The device's key is not a P-256 JWK.", cause);
  }
  return fail('ERR_PROTECT_PARAMETERS_INVALID', "The device's key is not a P-256 JWK.");
}

// The header was authenticated by decryption and the payload by the device's
// signature; they must agree, or someone holding the data key re-encrypted a
// device's signed batch under another header (another patient, device or time).
function checkBinding(payload: Record<string, unknown>, header: BatchStructure): void {
  for (const field of BINDING_FIELDS) {
    if (payload[field] !== header[field]) {
      throw new VigilError('ERR_BATCH_BINDING', `The signed ${field} differs from the header's.`, {
        details: { field },
      });
    }
  }
  const observations = payload['observations'] as unknown[];
  if (!observationsBelongTo(observations, header)) {
    fail('ERR_BATCH_BINDING', 'An observation names another patient or device than the batch.');
  }
  const outside = observations.some((item) => {
    const at = (item as Partial<VitalSignObservation>).effectiveDateTime;
    return typeof at !== 'string' || at < header.from || at > header.to;
  });
  if (outside) fail('ERR_BATCH_BINDING', 'A reading lies outside the time range in the header.');
}
