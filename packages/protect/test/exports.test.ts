import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as protect from '@vigil/protect';

/** The key, pseudonym and recovery surface, on purpose: a change here is an API change. */
const KEY_AND_PSEUDONYM_VALUES = [
  'PSEUDONYM_TABLE_JWE_TYPE',
  'PseudonymTable',
  'TEAM_KEY_JWE_TYPE',
  'derivePseudonymKey',
  'generateKeyPair',
  'generateTableStorageKey',
  'grantOldEpoch',
  'holdPrivateKey',
  'isHeldPrivateKey',
  'keyIdOf',
  'newEpoch',
  'normalisePatientId',
  'openTableForGateway',
  'openTableForStaff',
  'parseShare',
  'pseudonymFor',
  'rebuildRecoveryKey',
  'sealTableForGateway',
  'sealTableForStaff',
  'splitRecoveryKey',
  'toPrivateJwk',
  'toPublicJwk',
  'unwrapTeamKey',
  'wrapTeamKey',
];

describe('@vigil/protect exports', () => {
  it('exports the key, pseudonym and recovery API', () => {
    const exported = new Set(Object.keys(protect));
    assert.deepEqual(
      KEY_AND_PSEUDONYM_VALUES.filter((name) => !exported.has(name)),
      [],
    );
  });

  it('keeps the JWE envelope internal', () => {
    assert.ok(!('encryptToRecipients' in protect));
    assert.ok(!('decryptAsRecipient' in protect));
  });
});
