import { createHash } from 'node:crypto';
import { AgentError } from './errors.js';

/**
 * The gateway's half of genuine-hardware attestation (docs/devices.md,
 * Enrolment step 3; the server's half is packages/server/src/attestation/). A
 * secure element (e.g. Microchip ATECC608 Trust&GO) holds a key and a
 * certificate chained to its vendor's root; it signs a fresh server nonce bound
 * to the enrolment key, so the server knows this key was generated on genuine
 * hardware and not copied from elsewhere (FDA premarket guidance App. 1:
 * authenticity).
 */

/** The secure element, as the gateway app exposes it to the agent. */
export interface AttestationSigner {
  /** The element's certificate chain, leaf first, PEM. */
  readonly chainPem: string;
  /**
   * Signs `message` with the element's key: ECDSA P-256 over SHA-256(message),
   * the signature in IEEE P1363 form (r ‖ s, 64 bytes) as WebCrypto returns it.
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** Domain separation with a version, exactly as the server expects it. */
export const ATTESTATION_MESSAGE_PREFIX = 'vigil-attestation-v1\n';
const NONCE_BYTES = 32;

/**
 * The bytes the element signs: `"vigil-attestation-v1\n" ‖ nonce (32 bytes) ‖
 * SHA-256(SPKI DER of the enrolment key)`.
 *
 * @example
 * const message = attestationMessage(nonce, request.spkiDer);
 */
export function attestationMessage(nonce: string, enrolmentSpkiDer: Uint8Array): Uint8Array {
  const nonceBytes = /^[A-Za-z0-9_-]+$/.test(nonce) ? Buffer.from(nonce, 'base64url') : null;
  if (nonceBytes === null || nonceBytes.length !== NONCE_BYTES) {
    throw new AgentError(
      'ERR_AGENT_PROTOCOL',
      'The attestation nonce is not 32 bytes of base64url.',
    );
  }
  const keyDigest = createHash('sha256').update(enrolmentSpkiDer).digest();
  return new Uint8Array(
    Buffer.concat([Buffer.from(ATTESTATION_MESSAGE_PREFIX, 'utf8'), nonceBytes, keyDigest]),
  );
}

/**
 * Has the element sign the message and returns the three request headers the
 * server reads next to the CSR.
 *
 * @example
 * const headers = await attestationHeaders(secureElement, nonce, request.spkiDer);
 * await est.simpleEnroll({ csrDer, token, headers });
 */
export async function attestationHeaders(
  signer: AttestationSigner,
  nonce: string,
  enrolmentSpkiDer: Uint8Array,
): Promise<Record<string, string>> {
  const signature = await signer.sign(attestationMessage(nonce, enrolmentSpkiDer));
  return {
    // A header value is one line: the PEM chain travels base64-encoded.
    'x-vigil-attestation-chain': Buffer.from(signer.chainPem, 'utf8').toString('base64'),
    'x-vigil-attestation-nonce': nonce,
    'x-vigil-attestation-signature': Buffer.from(signature).toString('base64url'),
  };
}

/**
 * Reads `{ "nonce": "…" }` from the nonce endpoint's JSON answer.
 *
 * @example
 * const nonce = parseNonceAnswer(JSON.parse(text));
 */
export function parseNonceAnswer(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'nonce' in value) {
    const nonce = value.nonce;
    if (typeof nonce === 'string' && nonce.length > 0 && nonce.length <= 256) return nonce;
  }
  throw new AgentError('ERR_AGENT_PROTOCOL', 'The attestation nonce answer has no nonce.');
}
