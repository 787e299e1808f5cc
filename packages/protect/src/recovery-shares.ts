import { VigilError } from '@vigil/core/errors';
import { base64url } from 'jose';
import { combine, split } from 'shamir-secret-sharing';
import { toPrivateJwk, toPublicJwk, type PrivateEcJwk, type PublicEcJwk } from './keys.js';

/**
 * k-of-n recovery: the recovery key's private half is split with Shamir's scheme
 * among custodians, each share printable as one line of text:
 *
 *   vigil-share:v1:<splitId>:<k>:<n>:<index>:<base64url share bytes>:<checksum>
 *
 * `checksum` is the first 8 hex characters of SHA-256 over everything before the
 * last ":". It catches typing and copying errors only: it is NOT a MAC, anyone can
 * recompute it. What actually protects recovery is the final check of the rebuilt
 * key against the published recovery public key, because `combine` from
 * shamir-secret-sharing silently returns a wrong secret for k-1 or tampered shares.
 */

/** A share as read back from its text. */
export interface RecoveryShare {
  readonly splitId: string;
  readonly threshold: number;
  readonly shares: number;
  /** 1…n, for people; the Shamir x-coordinate is inside `bytes`. */
  readonly index: number;
  readonly bytes: Uint8Array;
}

const PREFIX = 'vigil-share:v1';
const SPLIT_ID = /^[a-z0-9-]{1,64}$/;
const DECIMAL = /^[1-9][0-9]{0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CHECKSUM = /^[0-9a-f]{8}$/;

/**
 * Splits a recovery private key into `shares` texts, any `threshold` of which rebuild it.
 * The secret split is the canonical JSON (members in lexicographic order, as in
 * RFC 7638 §3.3) of the private JWK.
 *
 * @example
 * const texts = await splitRecoveryKey(recovery.privateJwk, { threshold: 3, shares: 5 });
 * // hand texts[0] … texts[4] to five custodians
 */
export async function splitRecoveryKey(
  privateJwk: PrivateEcJwk,
  policy: { threshold: number; shares: number },
  splitId: string = randomSplitId(),
): Promise<string[]> {
  const { threshold: k, shares: n } = policy;
  if (!Number.isSafeInteger(k) || !Number.isSafeInteger(n) || k < 2 || n < k || n > 255) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'Need 2 ≤ threshold ≤ shares ≤ 255.');
  }
  if (!SPLIT_ID.test(splitId)) {
    throw new VigilError('ERR_PROTECT_PARAMETERS_INVALID', 'A split id is 1–64 of a-z, 0-9, "-".');
  }
  const { crv, d, kty, x, y } = toPrivateJwk(privateJwk);
  const secret = new TextEncoder().encode(JSON.stringify({ crv, d, kty, x, y }));
  const parts = await split(secret, n, k);
  return Promise.all(
    parts.map(async (bytes, i) => {
      const body = `${PREFIX}:${splitId}:${k}:${n}:${i + 1}:${base64url.encode(bytes)}`;
      return `${body}:${await checksumOf(body)}`;
    }),
  );
}

/**
 * Reads one share text. Refuses malformed text (ERR_RECOVERY_SHARE_MALFORMED) and
 * a wrong checksum (ERR_RECOVERY_SHARE_CHECKSUM, most likely a typo).
 *
 * @example
 * const share = await parseShare(typedIn); // { splitId, threshold: 3, shares: 5, index: 2, bytes }
 */
export async function parseShare(text: string): Promise<RecoveryShare> {
  const fields = typeof text === 'string' ? text.trim().split(':') : [];
  const checksum = fields.pop();
  if (
    fields.length !== 7 ||
    `${fields[0]}:${fields[1]}` !== PREFIX ||
    !CHECKSUM.test(checksum ?? '')
  ) {
    throw new VigilError('ERR_RECOVERY_SHARE_MALFORMED', `A share looks like "${PREFIX}:…".`);
  }
  // Checksum first: a typo anywhere is then reported as a typo.
  if ((await checksumOf(fields.join(':'))) !== checksum) {
    throw new VigilError('ERR_RECOVERY_SHARE_CHECKSUM', 'The share checksum does not match.');
  }
  const [, , splitId = '', k = '', n = '', index = '', encoded = ''] = fields;
  const [threshold, shares, position] = [k, n, index].map((v) => (DECIMAL.test(v) ? Number(v) : 0));
  if (
    !SPLIT_ID.test(splitId) ||
    !BASE64URL.test(encoded) ||
    threshold! < 2 ||
    shares! < threshold! ||
    shares! > 255 ||
    position! < 1 ||
    position! > shares!
  ) {
    throw new VigilError('ERR_RECOVERY_SHARE_MALFORMED', 'The share fields are out of range.');
  }
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(encoded);
  } catch (cause) {
    throw new VigilError('ERR_RECOVERY_SHARE_MALFORMED', 'The share bytes are not base64url.', {
      cause,
    });
  }
  if (bytes.byteLength < 2) {
    throw new VigilError('ERR_RECOVERY_SHARE_MALFORMED', 'The share is too short.');
  }
  return { splitId, threshold: threshold!, shares: shares!, index: position!, bytes };
}

/**
 * Rebuilds the recovery private key from share texts and proves it is the
 * organisation's recovery key before returning it.
 *
 * @example
 * const recoveryPrivate = await rebuildRecoveryKey([s1, s3, s4], recovery.publicJwk);
 * const team = await unwrapTeamKey(epoch1Jwe, recoveryPrivate, { organisationId, epoch: 1 });
 */
export async function rebuildRecoveryKey(
  shareTexts: readonly string[],
  recoveryPublicJwk: PublicEcJwk,
): Promise<PrivateEcJwk> {
  const expected = toPublicJwk(recoveryPublicJwk);
  const shares = await Promise.all(shareTexts.map(parseShare));
  const [first] = shares;
  if (first === undefined) {
    throw new VigilError('ERR_RECOVERY_NOT_ENOUGH_SHARES', 'No share was presented.');
  }
  for (const s of shares) {
    if (
      s.splitId !== first.splitId ||
      s.threshold !== first.threshold ||
      s.shares !== first.shares ||
      s.bytes.byteLength !== first.bytes.byteLength
    ) {
      throw new VigilError('ERR_RECOVERY_SHARES_MIXED', 'The shares come from different splits.');
    }
  }
  // The x-coordinate is the last byte of a share (shamir-secret-sharing's layout).
  const indexes = new Set(shares.map((s) => s.index));
  const xs = new Set(shares.map((s) => s.bytes[s.bytes.byteLength - 1]));
  if (indexes.size !== shares.length || xs.size !== shares.length) {
    throw new VigilError('ERR_RECOVERY_SHARE_DUPLICATE', 'A share was presented twice.');
  }
  if (shares.length < first.threshold) {
    throw new VigilError(
      'ERR_RECOVERY_NOT_ENOUGH_SHARES',
      `${shares.length} of the ${first.threshold} shares needed were presented.`,
      { details: { presented: shares.length, threshold: first.threshold } },
    );
  }
  const mismatch = (cause?: unknown): VigilError =>
    new VigilError(
      'ERR_RECOVERY_KEY_MISMATCH',
      'The shares do not rebuild the recovery key (wrong, tampered or too few shares).',
      { cause },
    );
  let rebuilt: PrivateEcJwk;
  try {
    const secret = await combine(shares.map((s) => s.bytes));
    rebuilt = toPrivateJwk(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(secret)));
  } catch (cause) {
    throw mismatch(cause);
  }
  if (rebuilt.x !== expected.x || rebuilt.y !== expected.y) throw mismatch();
  // Equal x, y are not enough: a damaged `d` next to intact x, y would pass a field
  // comparison. An ECDH round trip proves d belongs to the published public key.
  if (!(await agreesWith(rebuilt, expected).catch(() => false))) throw mismatch();
  return rebuilt;
}

async function agreesWith(privateJwk: PrivateEcJwk, publicJwk: PublicEcJwk): Promise<boolean> {
  const subtle = globalThis.crypto.subtle;
  const algorithm = { name: 'ECDH', namedCurve: 'P-256' } as const;
  const mine = await subtle.importKey('jwk', privateJwk, algorithm, false, ['deriveBits']);
  const theirs = await subtle.importKey('jwk', publicJwk, algorithm, false, []);
  const probe = await subtle.generateKey(algorithm, false, ['deriveBits']);
  const a = new Uint8Array(
    await subtle.deriveBits({ name: 'ECDH', public: probe.publicKey }, mine, 256),
  );
  const b = new Uint8Array(
    await subtle.deriveBits({ name: 'ECDH', public: theirs }, probe.privateKey, 256),
  );
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

async function checksumOf(body: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  return [...new Uint8Array(digest, 0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function randomSplitId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(8));
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}
