import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CompactSign, importJWK } from 'jose';
import { VigilError } from '@vigil/core';
import { signManifest } from '../../src/manifest/sign-manifest.js';
import { generateSigningKeyPair, signingKeyId } from '../../src/manifest/signing-key.js';
import { verifyManifest } from '../../src/manifest/verify-manifest.js';
import { NOW, b64json, ecdhPublicJwk, world, type World } from './fixtures.js';

function code(expected: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof VigilError, `not a VigilError: ${String(error)}`);
    assert.equal(error.code, expected);
    return true;
  };
}

let w: World;
let jws: string;

before(async () => {
  w = await world();
  jws = await signManifest(w.payload, w.admin.privateJwk);
});

describe('when the manifest is signed by the pinned organisation key', () => {
  it('verifies and returns the payload', async () => {
    assert.deepEqual(await verifyManifest(jws, w.pins, NOW), w.payload);
  });

  it('accepts it as the first manifest after enrolment', async () => {
    const pins = { ...w.pins, lastAcceptedVersion: null };
    assert.equal((await verifyManifest(jws, pins, NOW)).version, 2);
  });

  it('names the signing key by its RFC 7638 thumbprint in kid', async () => {
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as unknown;
    assert.deepEqual(header, {
      alg: 'ES256',
      typ: 'vigil-key-manifest+jws',
      kid: await signingKeyId(w.admin.publicJwk),
    });
    assert.equal(w.admin.kid, await signingKeyId(w.admin.publicJwk));
  });
});

describe('when a compromised server substitutes its own key', () => {
  it('refuses a manifest re-signed with the server key with ERR_MANIFEST_UNKNOWN_KEY', async () => {
    const server = await generateSigningKeyPair();
    const forged = await signManifest(
      { ...w.payload, version: 3, teamPublicJwk: await ecdhPublicJwk() },
      server.privateJwk,
    );
    await assert.rejects(verifyManifest(forged, w.pins, NOW), code('ERR_MANIFEST_UNKNOWN_KEY'));
  });

  it('refuses the server key under the organisation kid with ERR_MANIFEST_SIGNATURE', async () => {
    const server = await generateSigningKeyPair();
    const forged = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...w.payload, version: 3 })),
    )
      .setProtectedHeader({ alg: 'ES256', typ: 'vigil-key-manifest+jws', kid: w.admin.kid })
      .sign(await importJWK(server.privateJwk, 'ES256'));
    await assert.rejects(verifyManifest(forged, w.pins, NOW), code('ERR_MANIFEST_SIGNATURE'));
  });

  it('refuses a manifest that embeds its own key in a jwk header with ERR_MANIFEST_UNKNOWN_KEY', async () => {
    const server = await generateSigningKeyPair();
    for (const extra of [
      { jwk: server.publicJwk },
      { jku: 'https://server.example/keys' },
      { x5c: ['MIIB'] },
    ]) {
      const forged = await new CompactSign(
        new TextEncoder().encode(JSON.stringify({ ...w.payload, version: 3 })),
      )
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'vigil-key-manifest+jws',
          kid: server.kid,
          ...extra,
        })
        .sign(await importJWK(server.privateJwk, 'ES256'));
      await assert.rejects(verifyManifest(forged, w.pins, NOW), code('ERR_MANIFEST_UNKNOWN_KEY'));
    }
  });

  it('refuses a tampered payload with ERR_MANIFEST_SIGNATURE', async () => {
    const [header, , signature] = jws.split('.');
    const tampered = `${header}.${b64json({ ...w.payload, teamPublicJwk: await ecdhPublicJwk() })}.${signature}`;
    await assert.rejects(verifyManifest(tampered, w.pins, NOW), code('ERR_MANIFEST_SIGNATURE'));
  });
});

describe('when the algorithm is not ES256', () => {
  it('refuses alg none with ERR_MANIFEST_ALGORITHM', async () => {
    const unsigned = `${b64json({ alg: 'none', typ: 'vigil-key-manifest+jws', kid: w.admin.kid })}.${b64json({ ...w.payload, version: 9 })}.`;
    await assert.rejects(verifyManifest(unsigned, w.pins, NOW), code('ERR_MANIFEST_ALGORITHM'));
  });

  it('refuses HS256 keyed with the pinned public key with ERR_MANIFEST_ALGORITHM', async () => {
    // The classic algorithm-confusion attack: HMAC with the public key as secret.
    const secret = new TextEncoder().encode(JSON.stringify(w.admin.publicJwk));
    const forged = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...w.payload, version: 9 })),
    )
      .setProtectedHeader({ alg: 'HS256', typ: 'vigil-key-manifest+jws', kid: w.admin.kid })
      .sign(secret);
    await assert.rejects(verifyManifest(forged, w.pins, NOW), code('ERR_MANIFEST_ALGORITHM'));
  });
});

describe('when the manifest is old or for someone else', () => {
  it('refuses an older version with ERR_MANIFEST_ROLLBACK', async () => {
    const pins = { ...w.pins, lastAcceptedVersion: 5 };
    await assert.rejects(verifyManifest(jws, pins, NOW), code('ERR_MANIFEST_ROLLBACK'));
  });

  it('refuses a replay of the accepted version with ERR_MANIFEST_ROLLBACK', async () => {
    const pins = { ...w.pins, lastAcceptedVersion: 2 };
    await assert.rejects(verifyManifest(jws, pins, NOW), code('ERR_MANIFEST_ROLLBACK'));
  });

  it('refuses another organisation with ERR_MANIFEST_ORGANISATION', async () => {
    const pins = { ...w.pins, organisationId: 'org-other' };
    await assert.rejects(verifyManifest(jws, pins, NOW), code('ERR_MANIFEST_ORGANISATION'));
  });

  it('refuses a manifest issued in the future with ERR_MANIFEST_NOT_YET_VALID', async () => {
    const early = new Date('2025-03-14T09:00:00.000Z');
    await assert.rejects(verifyManifest(jws, w.pins, early), code('ERR_MANIFEST_NOT_YET_VALID'));
  });
});

describe('when the manifest lists keys that are not P-256 ECDH public keys', () => {
  it('refuses to sign a private team key with ERR_MANIFEST_KEY_INVALID', async () => {
    const teamPublicJwk = { ...w.payload.teamPublicJwk, d: w.admin.privateJwk.d };
    await assert.rejects(
      signManifest({ ...w.payload, teamPublicJwk }, w.admin.privateJwk),
      code('ERR_MANIFEST_KEY_INVALID'),
    );
  });

  it('refuses a signed manifest carrying a private key with ERR_MANIFEST_KEY_INVALID', async () => {
    const members = [
      { kid: 'm', publicJwk: { ...w.payload.teamPublicJwk, d: w.admin.privateJwk.d } },
    ];
    const signed = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ ...w.payload, version: 3, members })),
    )
      .setProtectedHeader({ alg: 'ES256', typ: 'vigil-key-manifest+jws', kid: w.admin.kid })
      .sign(await importJWK(w.admin.privateJwk, 'ES256'));
    await assert.rejects(verifyManifest(signed, w.pins, NOW), code('ERR_MANIFEST_KEY_INVALID'));
  });

  it('refuses a point off the curve with ERR_MANIFEST_KEY_INVALID', async () => {
    const offCurve = { ...w.payload.recoveryPublicJwk, y: w.payload.recoveryPublicJwk.x };
    await assert.rejects(
      signManifest({ ...w.payload, recoveryPublicJwk: offCurve }, w.admin.privateJwk),
      code('ERR_MANIFEST_KEY_INVALID'),
    );
  });

  it('refuses an RSA or X25519 key with ERR_MANIFEST_KEY_INVALID', async () => {
    for (const teamPublicJwk of [
      { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
      { kty: 'OKP', crv: 'X25519', x: w.payload.teamPublicJwk.x },
    ]) {
      await assert.rejects(
        signManifest({ ...w.payload, teamPublicJwk } as never, w.admin.privateJwk),
        code('ERR_MANIFEST_KEY_INVALID'),
      );
    }
  });
});

describe('when the manifest or the keys given are malformed', () => {
  it('refuses non-JWS input with ERR_MANIFEST_MALFORMED', async () => {
    for (const input of ['', 'a.b', 'a.b.c.d', '!!.??.##', 42, null, `${jws}.`]) {
      await assert.rejects(verifyManifest(input, w.pins, NOW), code('ERR_MANIFEST_MALFORMED'));
    }
  });

  it('refuses a non-canonical re-encoding of a valid signature with ERR_MANIFEST_MALFORMED', async () => {
    // The last character of a 64-byte signature carries 4 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(jws.at(-1)!);
    const reencoded = jws.slice(0, -1) + alphabet[last ^ 1]!;
    await assert.rejects(verifyManifest(reencoded, w.pins, NOW), code('ERR_MANIFEST_MALFORMED'));
  });

  it('refuses a JWS with a crit header with ERR_MANIFEST_MALFORMED', async () => {
    const header = {
      alg: 'ES256',
      typ: 'vigil-key-manifest+jws',
      kid: w.admin.kid,
      crit: ['b64'],
      b64: false,
    };
    const [, payload, signature] = jws.split('.');
    await assert.rejects(
      verifyManifest(`${b64json(header)}.${payload}.${signature}`, w.pins, NOW),
      code('ERR_MANIFEST_MALFORMED'),
    );
  });

  it('refuses a payload with an unknown member with ERR_MANIFEST_MALFORMED', async () => {
    await assert.rejects(
      signManifest({ ...w.payload, serverKey: 'x' } as never, w.admin.privateJwk),
      code('ERR_MANIFEST_MALFORMED'),
    );
  });

  it('refuses a non-integer version with ERR_MANIFEST_MALFORMED', async () => {
    await assert.rejects(
      signManifest({ ...w.payload, version: 2.5 }, w.admin.privateJwk),
      code('ERR_MANIFEST_MALFORMED'),
    );
  });

  it('refuses to sign with a public key with ERR_MANIFEST_SIGNING_KEY', async () => {
    await assert.rejects(
      signManifest(w.payload, w.admin.publicJwk),
      code('ERR_MANIFEST_SIGNING_KEY'),
    );
  });

  it('refuses a pinned key that holds the private d with ERR_MANIFEST_SIGNING_KEY', async () => {
    const pins = { ...w.pins, signingPublicJwk: w.admin.privateJwk };
    await assert.rejects(verifyManifest(jws, pins, NOW), code('ERR_MANIFEST_SIGNING_KEY'));
  });
});
