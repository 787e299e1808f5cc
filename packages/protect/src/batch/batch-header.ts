import { VigilError, type ErrorCode } from '@vigil/core/errors';
import { base64url } from 'jose';

/**
 * The protected header of a telemetry batch (a compact JWE, RFC 7516 §7.1). It is
 * the AAD of AES-256-GCM (RFC 7516 §5.1 step 14), so none of these fields can be
 * edited without decryption failing. Internal, apart from the types and
 * `structureOfBatch`, which reads it without decrypting.
 */

/** `typ` of a protected batch (RFC 7516 §4.1.11). */
export const BATCH_JWE_TYPE = 'vigil-batch+jwe';
/** `typ` of the signed batch inside it (RFC 7515 §4.1.9). */
export const BATCH_JWS_TYPE = 'vigil-batch+jws';
/** RFC 7518 §4.5 and §5.3: the data key is the content key, AES-256-GCM. */
export const BATCH_KEY_MANAGEMENT = 'dir';
export const BATCH_CONTENT_ENCRYPTION = 'A256GCM';
/** Default longest batch accepted, in characters (4 MiB). */
export const DEFAULT_MAX_BATCH_LENGTH = 4 * 1024 * 1024;

/** What a batch says about itself, in clear but authenticated by the data key. */
export interface BatchBinding {
  readonly organisationId: string;
  readonly deviceId: string;
  /** Per device, strictly increasing from 1: the replay counter. */
  readonly sequence: number;
  /** ISO 8601 UTC with milliseconds, as `Date#toISOString` writes it. */
  readonly createdAt: string;
  readonly pseudonym: string;
  /**
   * The earliest and latest `effectiveDateTime` of the readings (ISO 8601 UTC with
   * milliseconds; `createdAt` for an empty batch). Visible to the server so that it
   * can find batches by time without decrypting them: metadata, documented as such.
   */
  readonly from: string;
  readonly to: string;
}

/** The header fields of a batch: its binding plus the data key that encrypts it. */
export interface BatchStructure extends BatchBinding {
  /** The team epoch the data key belongs to. */
  readonly epoch: number;
  /** The data key's id (`dk_…`). */
  readonly kid: string;
}

export const BINDING_FIELDS = [
  'organisationId',
  'deviceId',
  'sequence',
  'createdAt',
  'pseudonym',
  'from',
  'to',
] as const;
const HEADER_FIELDS = new Set(['alg', 'enc', 'typ', ...BINDING_FIELDS, 'epoch', 'kid']);
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const PSEUDONYM = /^p[1-9][0-9]{0,5}_[a-z2-7]{32}$/;
const KID = /^dk_[A-Za-z0-9_-]{22}$/;
const SEGMENT = /^[A-Za-z0-9_-]*$/;

export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new VigilError(code, message, cause === undefined ? {} : { cause });
}

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER.test(value);
}

export function isPseudonym(value: unknown): value is string {
  return typeof value === 'string' && PSEUDONYM.test(value);
}

export function isSequence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

export function isTimestamp(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 24) return false;
  const time = new Date(value);
  return !Number.isNaN(time.getTime()) && time.toISOString() === value;
}

/** Splits a compact serialization into its segments, or refuses it as malformed. */
export function compactSegments(value: unknown, parts: number, maxLength: number): string[] {
  if (typeof value !== 'string' || value.length > maxLength) {
    fail('ERR_BATCH_MALFORMED', `A batch is a compact JWE of at most ${maxLength} characters.`);
  }
  const segments = value.split('.');
  if (segments.length !== parts || !segments.every((s) => SEGMENT.test(s))) {
    fail('ERR_BATCH_MALFORMED', `Expected ${parts} base64url segments.`);
  }
  return segments;
}

export function decodeJsonSegment(segment: string, code: ErrorCode, what: string): unknown {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(segment));
    return JSON.parse(text) as unknown;
  } catch (cause) {
    return fail(code, `The ${what} is not base64url JSON.`, cause);
  }
}

/**
 * Reads a batch's protected header WITHOUT decrypting it: what the server checks
 * on ingest (structure, organisation, device, sequence), never the content. The
 * fields are authenticated only when the batch is opened; treat them as claims.
 *
 * @throws VigilError ERR_BATCH_MALFORMED, ERR_PROTECT_ALGORITHM_REFUSED
 * @example
 * const { deviceId, sequence } = structureOfBatch(body);
 * if (deviceId !== clientCertificateDeviceId) reject();
 */
export function structureOfBatch(
  jwe: unknown,
  options: { maxLength?: number } = {},
): BatchStructure {
  const [protectedHeader = ''] = compactSegments(
    jwe,
    5,
    options.maxLength ?? DEFAULT_MAX_BATCH_LENGTH,
  );
  return parseBatchHeader(decodeJsonSegment(protectedHeader, 'ERR_BATCH_MALFORMED', 'header'));
}

export function parseBatchHeader(value: unknown): BatchStructure {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('ERR_BATCH_MALFORMED', 'The batch header must be a JSON object.');
  }
  const h = value as Record<string, unknown>;
  // RFC 8725 §3.1: an allow list of algorithms, checked before anything else.
  if (h['alg'] !== BATCH_KEY_MANAGEMENT || h['enc'] !== BATCH_CONTENT_ENCRYPTION) {
    throw new VigilError(
      'ERR_PROTECT_ALGORITHM_REFUSED',
      `Only ${BATCH_KEY_MANAGEMENT} with ${BATCH_CONTENT_ENCRYPTION} is accepted.`,
      { details: { alg: String(h['alg']), enc: String(h['enc']) } },
    );
  }
  for (const name of Object.keys(h)) {
    // `zip`, `crit`, `jwk` and the like are refused: nothing here understands them.
    if (!HEADER_FIELDS.has(name)) fail('ERR_BATCH_MALFORMED', `Unexpected header ${name}.`);
  }
  const { typ, organisationId, deviceId, sequence, createdAt, pseudonym, from, to, epoch, kid } = h;
  if (
    typ !== BATCH_JWE_TYPE ||
    !isIdentifier(organisationId) ||
    !isIdentifier(deviceId) ||
    !isSequence(sequence) ||
    !isTimestamp(createdAt) ||
    !isPseudonym(pseudonym) ||
    !isTimestamp(from) ||
    !isTimestamp(to) ||
    from > to ||
    !isSequence(epoch) ||
    typeof kid !== 'string' ||
    !KID.test(kid)
  ) {
    fail('ERR_BATCH_MALFORMED', 'The batch header lacks a field or has one of the wrong form.');
  }
  return { organisationId, deviceId, sequence, createdAt, pseudonym, from, to, epoch, kid };
}
