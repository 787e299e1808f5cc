import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  base64url,
  decodeProtectedHeader,
  GeneralEncrypt,
  generateKeyPair as joseKeyPair,
  importJWK,
  type GeneralJWE,
} from 'jose';
import {
  generateKeyPair,
  grantOldEpoch,
  holdPrivateKey,
  keyIdOf,
  newEpoch,
  TEAM_KEY_JWE_TYPE,
  unwrapTeamKey,
  wrapTeamKey,
  type EcKeyPair,
  type TeamEpoch,
} from '@vigil/protect';

const organisationId = 'org-1';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

/** Flips the lowest bit of one decoded byte of a base64url field. */
function flipBit(field: string, at = 0): string {
  const bytes = base64url.decode(field);
  bytes[at] = bytes[at]! ^ 1;
  return base64url.encode(bytes);
}

describe('team keys wrapped to members and the recovery key', () => {
  let alice: EcKeyPair, bob: EcKeyPair, carol: EcKeyPair, recovery: EcKeyPair;
  let epoch1: TeamEpoch, epoch2: TeamEpoch;

  before(async () => {
    [alice, bob, carol, recovery] = await Promise.all([
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ]);
    epoch1 = await newEpoch({
      organisationId,
      previousEpoch: 0,
      memberPublicJwks: [alice.publicJwk, bob.publicJwk],
      recoveryPublicJwk: recovery.publicJwk,
    });
    // Bob leaves: epoch 2 is wrapped to Alice and the recovery key only.
    epoch2 = await newEpoch({
      organisationId,
      previousEpoch: epoch1.epoch,
      memberPublicJwks: [alice.publicJwk],
      recoveryPublicJwk: recovery.publicJwk,
    });
  });

  it('names keys by their RFC 7638 thumbprint, the same for both halves', async () => {
    assert.equal(await keyIdOf(alice.privateJwk), alice.kid);
    assert.match(alice.kid, /^[A-Za-z0-9_-]{43}$/);
  });

  it('writes one General JSON JWE with a kid per recipient and the context in the protected header', () => {
    assert.equal(epoch1.epoch, 1);
    assert.equal(epoch2.epoch, 2);
    const kids = epoch1.wrapped.recipients.map((r) => r.header?.kid);
    assert.deepEqual(kids, [alice.kid, bob.kid, recovery.kid]);
    const header = decodeProtectedHeader(epoch1.wrapped);
    assert.equal(header.typ, TEAM_KEY_JWE_TYPE);
    assert.equal(header['organisationId'], organisationId);
    assert.equal(header['epoch'], 1);
    assert.equal(header.alg, 'ECDH-ES+A256KW');
    assert.equal(header.enc, 'A256GCM');
  });

  it('lets every recipient unwrap the team key', async () => {
    for (const member of [alice, bob, recovery]) {
      const team = await unwrapTeamKey(epoch1.wrapped, member.privateJwk, {
        organisationId,
        epoch: 1,
      });
      assert.deepEqual(team, epoch1.teamKey.privateJwk);
    }
  });

  it('unwraps with a member key held as a non-extractable CryptoKey, which cannot be read out', async () => {
    const held = await holdPrivateKey(alice.privateJwk);
    assert.equal(held.kid, alice.kid);
    assert.equal(held.privateKey.extractable, false);
    await assert.rejects(globalThis.crypto.subtle.exportKey('jwk', held.privateKey));
    const team = await unwrapTeamKey(epoch2.wrapped, held, { organisationId, epoch: 2 });
    assert.deepEqual(team, epoch2.teamKey.privateJwk);
    // Bob's held key is refused for epoch 2 exactly as his JWK is.
    const bobHeld = await holdPrivateKey(bob.privateJwk);
    await assert.rejects(
      unwrapTeamKey(epoch2.wrapped, bobHeld, { organisationId, epoch: 2 }),
      hasCode('ERR_PROTECT_NOT_A_RECIPIENT'),
    );
  });

  it('refuses a held key whose kid does not match its private key', async () => {
    const held = await holdPrivateKey(carol.privateJwk);
    await assert.rejects(
      unwrapTeamKey(epoch1.wrapped, { ...held, kid: alice.kid }, { organisationId, epoch: 1 }),
      hasCode('ERR_PROTECT_DECRYPTION_FAILED'),
    );
  });

  describe('when a member has been removed', () => {
    it('refuses them the new epoch with ERR_PROTECT_NOT_A_RECIPIENT', async () => {
      await assert.rejects(
        unwrapTeamKey(epoch2.wrapped, bob.privateJwk, { organisationId, epoch: 2 }),
        hasCode('ERR_PROTECT_NOT_A_RECIPIENT'),
      );
    });

    it('refuses them even if they forge their kid onto a recipient, with ERR_PROTECT_DECRYPTION_FAILED', async () => {
      const forged = structuredClone(epoch2.wrapped);
      forged.recipients[0]!.header = { ...forged.recipients[0]!.header, kid: bob.kid };
      await assert.rejects(
        unwrapTeamKey(forged, bob.privateJwk, { organisationId, epoch: 2 }),
        hasCode('ERR_PROTECT_DECRYPTION_FAILED'),
      );
    });
  });

  describe('when a newcomer joins', () => {
    it('can be granted an old epoch, re-wrapped by a current member', async () => {
      const old = await unwrapTeamKey(epoch1.wrapped, alice.privateJwk, {
        organisationId,
        epoch: 1,
      });
      const grant = await grantOldEpoch(old, carol.publicJwk, { organisationId, epoch: 1 });
      const team = await unwrapTeamKey(grant, carol.privateJwk, { organisationId, epoch: 1 });
      assert.deepEqual(team, epoch1.teamKey.privateJwk);
    });
  });

  describe('when the JWE is for another organisation or epoch', () => {
    it('refuses it with ERR_PROTECT_KEY_MISMATCH', async () => {
      await assert.rejects(
        unwrapTeamKey(epoch1.wrapped, alice.privateJwk, { organisationId, epoch: 2 }),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
      await assert.rejects(
        unwrapTeamKey(epoch1.wrapped, alice.privateJwk, { organisationId: 'org-2', epoch: 1 }),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
    });
  });

  describe('when one bit of the JWE is flipped', () => {
    const tamperings: Array<[string, (jwe: GeneralJWE) => void]> = [
      ['ciphertext', (jwe) => (jwe.ciphertext = flipBit(jwe.ciphertext))],
      ['IV', (jwe) => (jwe.iv = flipBit(jwe.iv!))],
      ['tag', (jwe) => (jwe.tag = flipBit(jwe.tag!))],
      [
        'encrypted key',
        (jwe) => (jwe.recipients[0]!.encrypted_key = flipBit(jwe.recipients[0]!.encrypted_key!)),
      ],
      [
        'protected header',
        (jwe) => {
          // Flip a bit inside the organisationId value: still valid JSON, but not the AAD.
          const text = new TextDecoder().decode(base64url.decode(jwe.protected!));
          const at = text.indexOf('"org-1"') + 1;
          jwe.protected = flipBit(jwe.protected!, at);
        },
      ],
    ];
    for (const [part, tamper] of tamperings) {
      it(`refuses a flipped bit in the ${part} with ERR_PROTECT_DECRYPTION_FAILED`, async () => {
        const jwe = structuredClone(epoch1.wrapped);
        tamper(jwe);
        await assert.rejects(
          unwrapTeamKey(jwe, alice.privateJwk, { organisationId, epoch: 1 }),
          hasCode('ERR_PROTECT_DECRYPTION_FAILED'),
        );
      });
    }

    it('refuses garbage instead of a JWE with ERR_PROTECT_DECRYPTION_FAILED', async () => {
      for (const junk of [null, 'abc', {}, { ...epoch1.wrapped, recipients: [] }]) {
        await assert.rejects(
          unwrapTeamKey(junk, alice.privateJwk, { organisationId, epoch: 1 }),
          hasCode('ERR_PROTECT_DECRYPTION_FAILED'),
        );
      }
    });
  });

  describe('when the JWE uses an algorithm outside the allow-list', () => {
    const header = async () => ({
      typ: TEAM_KEY_JWE_TYPE,
      organisationId,
      epoch: 1,
      teamKid: epoch1.teamKey.kid,
    });
    const plaintext = () => new TextEncoder().encode(JSON.stringify(epoch1.teamKey.privateJwk));

    it('refuses alg RSA-OAEP with ERR_PROTECT_ALGORITHM_REFUSED', async () => {
      const rsa = await joseKeyPair('RSA-OAEP', { extractable: true });
      const jwe = await new GeneralEncrypt(plaintext())
        .setProtectedHeader({ ...(await header()), enc: 'A256GCM' })
        .addRecipient(rsa.publicKey)
        .setUnprotectedHeader({ alg: 'RSA-OAEP', kid: alice.kid })
        .encrypt();
      await assert.rejects(
        unwrapTeamKey(jwe, alice.privateJwk, { organisationId, epoch: 1 }),
        hasCode('ERR_PROTECT_ALGORITHM_REFUSED'),
      );
    });

    it('refuses enc A128CBC-HS256 with ERR_PROTECT_ALGORITHM_REFUSED', async () => {
      const jwe = await new GeneralEncrypt(plaintext())
        .setProtectedHeader({ ...(await header()), alg: 'ECDH-ES+A256KW', enc: 'A128CBC-HS256' })
        .addRecipient(await importJWK(alice.publicJwk, 'ECDH-ES+A256KW'))
        .setUnprotectedHeader({ kid: alice.kid })
        .encrypt();
      await assert.rejects(
        unwrapTeamKey(jwe, alice.privateJwk, { organisationId, epoch: 1 }),
        hasCode('ERR_PROTECT_ALGORITHM_REFUSED'),
      );
    });
  });

  describe('when the parameters are wrong', () => {
    it('refuses an epoch below 1, a missing recipient list or a duplicate with ERR_PROTECT_PARAMETERS_INVALID', async () => {
      const invalid = hasCode('ERR_PROTECT_PARAMETERS_INVALID');
      const team = epoch1.teamKey.privateJwk;
      await assert.rejects(
        wrapTeamKey(team, { organisationId, epoch: 0 }, [alice.publicJwk]),
        invalid,
      );
      await assert.rejects(wrapTeamKey(team, { organisationId, epoch: 1 }, []), invalid);
      await assert.rejects(
        wrapTeamKey(team, { organisationId, epoch: 1 }, [alice.publicJwk, alice.publicJwk]),
        invalid,
      );
    });
  });
});
