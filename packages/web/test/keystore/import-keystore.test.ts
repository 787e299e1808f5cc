import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  generateKeyPair,
  generateSigningKeyPair,
  keyIdOf,
  newEpoch,
  sealKeystore,
  type EcKeyPair,
} from '@vigil/protect';
import { importKeystore } from '../../src/keystore/import-keystore.js';

const ORGANISATION_ID = 'care-org-1';
const PASSPHRASE = 'correct horse battery staple, ward 7';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

describe('importing a clinician’s keystore file', () => {
  let clinician: EcKeyPair;
  let keystore: string;

  before(async () => {
    clinician = await generateKeyPair();
    keystore = await sealKeystore(PASSPHRASE, {
      memberKey: clinician.privateJwk,
      organisationId: ORGANISATION_ID,
      createdAt: '2026-11-29T10:00:00.000Z',
    });
  });

  it('gives a member key that unwraps the team epochs wrapped to it', async () => {
    const recovery = await generateKeyPair();
    const epoch = await newEpoch({
      organisationId: ORGANISATION_ID,
      previousEpoch: 0,
      memberPublicJwks: [clinician.publicJwk],
      recoveryPublicJwk: recovery.publicJwk,
    });
    const key = await importKeystore(keystore, PASSPHRASE, ORGANISATION_ID);
    assert.equal(key.organisationId, ORGANISATION_ID);
    assert.equal(key.kid, clinician.kid);
    assert.equal(key.custody, 'non-extractable');
    const team = await key.unwrapTeamKey(epoch.wrapped, {
      organisationId: ORGANISATION_ID,
      epoch: 1,
    });
    assert.equal(await keyIdOf(team), epoch.teamKey.kid);
  });

  it('exposes no private key material on the object pages hold', async () => {
    const key = await importKeystore(keystore, PASSPHRASE, ORGANISATION_ID);
    assert.doesNotMatch(JSON.stringify(key), new RegExp(clinician.privateJwk.d));
    assert.deepEqual(Object.keys(key).sort(), [
      'custody',
      'kid',
      'organisationId',
      'unwrapTeamKey',
    ]);
  });

  it('refuses a wrong passphrase with ERR_KEYSTORE_PASSPHRASE', async () => {
    await assert.rejects(
      importKeystore(keystore, 'not the passphrase at all', ORGANISATION_ID),
      hasCode('ERR_KEYSTORE_PASSPHRASE'),
    );
  });

  it('refuses another organisation’s keystore with ERR_KEYSTORE_ORGANISATION', async () => {
    await assert.rejects(
      importKeystore(keystore, PASSPHRASE, 'care-org-2'),
      hasCode('ERR_KEYSTORE_ORGANISATION'),
    );
  });

  it('refuses a keystore with only a signing key with ERR_KEYSTORE_KEY_MISSING', async () => {
    const signingOnly = await sealKeystore(PASSPHRASE, {
      signingKey: (await generateSigningKeyPair()).privateJwk,
      organisationId: ORGANISATION_ID,
      createdAt: '2026-11-29T10:00:00.000Z',
    });
    await assert.rejects(
      importKeystore(signingOnly, PASSPHRASE, ORGANISATION_ID),
      hasCode('ERR_KEYSTORE_KEY_MISSING'),
    );
  });

  it('refuses text that is not a keystore with ERR_KEYSTORE_MALFORMED', async () => {
    await assert.rejects(
      importKeystore('{"hello":"world"}', PASSPHRASE, ORGANISATION_ID),
      hasCode('ERR_KEYSTORE_MALFORMED'),
    );
  });
});
