import { VigilError } from '@vigil/core';

/**
 * What the server checks of a wrapped key or sealed table it is asked to
 * store: only its protected header, because it cannot and must not decrypt
 * it (docs/telemetry.md). The route schema has already checked the General
 * JSON serialization's shape (RFC 7516 §7.2.1); this reads the header the
 * AAD covers, so a JWE uploaded as another organisation's, another epoch's or
 * another kind of key (`typ`, RFC 7516 §4.1.11) is refused before it is
 * stored where a reader would look for the right one.
 */

/** The only algorithms `@vigil/protect` writes multi-recipient JWEs with (ADR 0008). */
export const SEALED_KEY_MANAGEMENT = 'ECDH-ES+A256KW';
export const SEALED_CONTENT_ENCRYPTION = 'A256GCM';

export interface SealedExpectation {
  /** The `typ` the upload must carry. */
  readonly typ: string;
  /** The organisation the header must name. */
  readonly organisationId: string;
  /**
   * `required`: the header must carry an epoch ≥ 1 (returned); a number: it must be
   * that epoch; `absent`: an epoch is not part of this kind of JWE.
   */
  readonly epoch: 'required' | 'absent' | number;
}

export interface SealedHeader {
  readonly header: Readonly<Record<string, unknown>>;
  /** The epoch the header names, when the expectation asked for one. */
  readonly epoch: number | undefined;
}

// Header parameters no reader of ours understands (compression, critical extensions).
const REFUSED_HEADERS = ['zip', 'crit'];

/**
 * Decodes and checks the protected header of an uploaded General JSON JWE.
 *
 * @throws VigilError ERR_WRAPPED_KEY_MALFORMED (not base64url JSON, a refused
 *   parameter, no epoch where one is needed), ERR_PROTECT_ALGORITHM_REFUSED,
 *   ERR_PROTECT_KEY_MISMATCH (another typ, organisation or epoch).
 * @example
 * const { epoch } = readSealedHeader(body.jwe.protected, {
 *   typ: TEAM_KEY_JWE_TYPE, organisationId, epoch: Number(params.epoch) });
 */
export function readSealedHeader(
  protectedHeader: string,
  expected: SealedExpectation,
): SealedHeader {
  const header = decodeHeader(protectedHeader);
  // RFC 8725 §3.1: an allow list of algorithms.
  if (header['alg'] !== SEALED_KEY_MANAGEMENT || header['enc'] !== SEALED_CONTENT_ENCRYPTION) {
    throw new VigilError(
      'ERR_PROTECT_ALGORITHM_REFUSED',
      `Only ${SEALED_KEY_MANAGEMENT} with ${SEALED_CONTENT_ENCRYPTION} is accepted.`,
      { details: { alg: String(header['alg']), enc: String(header['enc']) } },
    );
  }
  const refused = REFUSED_HEADERS.find((name) => Object.hasOwn(header, name));
  if (refused !== undefined) {
    throw new VigilError(
      'ERR_WRAPPED_KEY_MALFORMED',
      `The header parameter ${refused} is refused.`,
    );
  }
  if (header['typ'] !== expected.typ) {
    throw new VigilError('ERR_PROTECT_KEY_MISMATCH', `Expected a ${expected.typ} JWE.`, {
      details: { typ: String(header['typ']) },
    });
  }
  if (header['organisationId'] !== expected.organisationId) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `The JWE must name organisation ${expected.organisationId} in its protected header.`,
    );
  }
  if (expected.epoch === 'absent') return { header, epoch: undefined };
  const epoch = header['epoch'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 1) {
    throw new VigilError(
      'ERR_WRAPPED_KEY_MALFORMED',
      'The protected header must name an epoch (an integer ≥ 1).',
    );
  }
  if (typeof expected.epoch === 'number' && epoch !== expected.epoch) {
    throw new VigilError(
      'ERR_PROTECT_KEY_MISMATCH',
      `The JWE is wrapped for epoch ${epoch}, not ${expected.epoch}.`,
    );
  }
  return { header, epoch };
}

function decodeHeader(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      Buffer.from(segment, 'base64url'),
    );
    value = JSON.parse(text);
  } catch (cause) {
    throw new VigilError(
      'ERR_WRAPPED_KEY_MALFORMED',
      'The protected header is not base64url JSON.',
      {
        cause,
      },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VigilError(
      'ERR_WRAPPED_KEY_MALFORMED',
      'The protected header must be a JSON object.',
    );
  }
  return value as Record<string, unknown>;
}
