import { createPrivateKey, sign } from 'node:crypto';
import { generateSigningKeyPair, type P256PrivateJwk } from '@vigil/protect';
import type { CareOrganisation } from '../fakes/care-organisation.js';
import type { ManifestResponse } from '../fakes/fake-telemetry-routes.js';

/**
 * Key-manifest answers for the fuzz tests, by name: the care organisation's
 * genuine manifests (v1, then a new epoch as v2 and v3), what a breached or
 * broken server could relay instead (another key, another organisation, a
 * rollback, a future issue time, edited signatures and payloads), and
 * manifests the organisation's own key signed around `signManifest`'s checks
 * (versions, epochs, keys and headers no tool should produce). Names are what
 * a failing run prints, so they say what the answer is.
 */
export type ManifestVariants = ReadonlyMap<string, ManifestResponse>;

/** Signing-key fields a server could put next to a manifest, by name ('matching': the signer's). */
export const SIGNING_KEY_VARIANTS = [
  'matching',
  'other-key',
  'empty-object',
  'array',
  'string',
  'private-jwk',
  'wrong-curve',
] as const;

/** Fingerprint claims a server could put next to a manifest, by name. */
export const FINGERPRINT_VARIANTS = ['matching', 'absent', 'other-key', 'number', 'empty'] as const;

const JWS_TYP = 'vigil-key-manifest+jws';

/**
 * Builds the variants. Mutates `organisation` (one `rotate()`: epoch 2), so
 * give it an organisation of its own, created at `now`.
 */
export async function manifestVariants(
  organisation: CareOrganisation,
  now: number,
): Promise<{
  variants: ManifestVariants;
  keyOf: (variant: string, name: (typeof SIGNING_KEY_VARIANTS)[number]) => unknown;
  fingerprintOf: (variant: string, name: (typeof FINGERPRINT_VARIANTS)[number]) => unknown;
}> {
  const { admin } = organisation;
  const other = await generateSigningKeyPair();
  const variants = new Map<string, ManifestResponse>();
  const add = (name: string, answer: ManifestResponse) => variants.set(name, answer);
  const byAdmin = (jws: string): ManifestResponse => ({
    jws,
    signingPublicJwk: admin.publicJwk,
    signingKeyFingerprint: admin.kid,
  });

  add('v1', await organisation.answer(1, now - 60_000));
  add('v1-other-bytes', await organisation.answer(1, now - 50_000));
  await organisation.rotate();
  const v2 = await organisation.answer(2, now - 40_000);
  add('v2-new-epoch', v2);
  const v3 = await organisation.answer(3, now - 30_000);
  add('v3-same-epoch', v3);
  add('v4-other-key', await organisation.answer(4, now - 20_000, { signer: other }));
  const otherOrganisation = await organisation.answer(4, now - 20_000, {
    payload: { organisationId: 'org-elsewhere' },
  });
  add('v4-other-organisation', otherOrganisation);
  add('v4-issued-tomorrow', await organisation.answer(4, now + 86_400_000));

  const [header = '', payload = '', signature = ''] = v3.jws.split('.');
  const middle = Math.floor(signature.length / 2);
  const flipped = signature[middle] === 'A' ? 'B' : 'A';
  add(
    'v3-signature-edited',
    byAdmin(
      `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`,
    ),
  );
  add(
    'v3-signature-over-other-payload',
    byAdmin(`${header}.${otherOrganisation.jws.split('.')[1] ?? ''}.${signature}`),
  );
  add('v3-padded-base64', byAdmin(`${header}.${payload}=.${signature}`));
  add('v3-truncated', byAdmin(v3.jws.slice(0, -10)));
  add('not-a-jws', byAdmin('a.b.c'));
  add('empty-jws', byAdmin(''));

  // Signed with the organisation's key around signManifest's checks.
  const base = organisation.payload(5, now - 10_000) as unknown as Record<string, unknown>;
  const raw = (edit: Record<string, unknown>, headerEdit: Record<string, unknown> = {}) =>
    byAdmin(
      signRaw(
        { alg: 'ES256', typ: JWS_TYP, kid: admin.kid, ...headerEdit },
        { ...base, ...edit },
        admin.privateJwk,
      ),
    );
  add('v5', raw({}));
  add('v5-epoch-0', raw({ epoch: 0 }));
  add('v5-epoch-huge', raw({ epoch: Number.MAX_SAFE_INTEGER }));
  add('v-max-safe-integer', raw({ version: Number.MAX_SAFE_INTEGER }));
  for (const version of [0, -1, 1.5, 2 ** 53, '6', null]) {
    add(`v-${String(version)}-version`, raw({ version }));
  }
  add('v5-epoch-negative', raw({ epoch: -1 }));
  add('v5-organisation-empty', raw({ organisationId: '' }));
  add('v5-organisation-long', raw({ organisationId: 'o'.repeat(200) }));
  add('v5-no-members', raw({ members: [] }));
  add('v5-extra-field', raw({ note: 'hello' }));
  add('v5-team-key-garbage', raw({ teamPublicJwk: { kty: 'EC' } }));
  add('v5-team-key-is-signing-key', raw({ teamPublicJwk: admin.publicJwk }));
  add('v5-team-key-off-curve', raw({ teamPublicJwk: offCurve(admin.publicJwk) }));
  add('v5-issued-garbage', raw({ issuedAt: 'yesterday' }));
  add('v5-issued-year-9999', raw({ issuedAt: '9999-12-31T23:59:59Z' }));
  add('v5-wrong-typ', raw({ typ: 'something-else' }));
  add('v5-alg-none', raw({}, { alg: 'none' }));
  add('v5-header-embeds-key', raw({}, { jwk: other.publicJwk }));
  add('v5-header-other-kid', raw({}, { kid: other.kid }));
  add('v5-header-crit', raw({}, { crit: ['exp'] }));
  add(
    'v5-payload-not-json',
    byAdmin(
      signRaw(
        { alg: 'ES256', typ: JWS_TYP, kid: admin.kid },
        Buffer.from([0xff, 0xfe]),
        admin.privateJwk,
      ),
    ),
  );
  add(
    'v5-payload-array',
    byAdmin(signRaw({ alg: 'ES256', typ: JWS_TYP, kid: admin.kid }, [base], admin.privateJwk)),
  );

  const keyOf = (variant: string, name: (typeof SIGNING_KEY_VARIANTS)[number]): unknown => {
    switch (name) {
      case 'matching':
        return variants.get(variant)?.signingPublicJwk;
      case 'other-key':
        return other.publicJwk;
      case 'empty-object':
        return {};
      case 'array':
        return [admin.publicJwk];
      case 'string':
        return admin.kid;
      case 'private-jwk':
        return admin.privateJwk;
      case 'wrong-curve':
        return { ...admin.publicJwk, crv: 'P-384' };
    }
  };
  const fingerprintOf = (variant: string, name: (typeof FINGERPRINT_VARIANTS)[number]): unknown => {
    switch (name) {
      case 'matching':
        return variants.get(variant)?.signingKeyFingerprint;
      case 'absent':
        return undefined;
      case 'other-key':
        return other.kid;
      case 'number':
        return 42;
      case 'empty':
        return '';
    }
  };
  return { variants, keyOf, fingerprintOf };
}

/** A compact ES256 JWS over any header and payload (JSON, or bytes as they are). */
function signRaw(header: object, payload: unknown, privateJwk: P256PrivateJwk): string {
  const encode = (value: unknown) =>
    (value instanceof Uint8Array
      ? Buffer.from(value)
      : Buffer.from(JSON.stringify(value))
    ).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const key = createPrivateKey({ key: { ...privateJwk }, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The key with its y coordinate replaced: almost surely not a point on P-256. */
function offCurve(jwk: { x: string; y: string }): unknown {
  return { ...jwk, y: jwk.x };
}
