import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  generateKeyPair,
  openPseudonymSecretForStaff,
  sealPseudonymSecretForStaff,
  type EcKeyPair,
} from '@vigil/protect';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

describe('the staff copy of the pseudonym secret', () => {
  let team: EcKeyPair;
  let recovery: EcKeyPair;
  let outsider: EcKeyPair;
  const secret = globalThis.crypto.getRandomValues(new Uint8Array(32));

  before(async () => {
    [team, recovery, outsider] = await Promise.all([
      generateKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ]);
  });

  const seal = () =>
    sealPseudonymSecretForStaff(secret, {
      organisationId: 'care-1',
      epoch: 2,
      teamPublicJwk: team.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });

  it('opens with the team key of its epoch and with the recovery key', async () => {
    const jwe = await seal();
    for (const key of [team, recovery]) {
      const opened = await openPseudonymSecretForStaff(jwe, key.privateJwk, {
        organisationId: 'care-1',
        epoch: 2,
      });
      assert.deepEqual(opened, secret);
    }
  });

  it('is not addressed to anyone else (ERR_PROTECT_NOT_A_RECIPIENT)', async () => {
    await assert.rejects(
      openPseudonymSecretForStaff(await seal(), outsider.privateJwk, {
        organisationId: 'care-1',
        epoch: 2,
      }),
      hasCode('ERR_PROTECT_NOT_A_RECIPIENT'),
    );
  });

  it('refuses to pass for another epoch or organisation (ERR_PROTECT_KEY_MISMATCH)', async () => {
    const jwe = await seal();
    for (const expected of [
      { organisationId: 'care-1', epoch: 1 },
      { organisationId: 'care-2', epoch: 2 },
    ]) {
      await assert.rejects(
        openPseudonymSecretForStaff(jwe, team.privateJwk, expected),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
    }
  });

  it('refuses a secret shorter than 32 bytes', async () => {
    await assert.rejects(
      sealPseudonymSecretForStaff(new Uint8Array(31), {
        organisationId: 'care-1',
        epoch: 1,
        teamPublicJwk: team.publicJwk,
        recoveryPublicJwk: recovery.publicJwk,
      }),
      hasCode('ERR_PROTECT_PARAMETERS_INVALID'),
    );
  });
});
