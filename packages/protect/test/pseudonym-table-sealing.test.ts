import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CompactEncrypt } from 'jose';
import {
  generateKeyPair,
  generateTableStorageKey,
  openTableForGateway,
  openTableForStaff,
  PseudonymTable,
  sealTableForGateway,
  sealTableForStaff,
  type EcKeyPair,
} from '@vigil/protect';

const organisationId = 'org-1';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

describe('the sealed pseudonym table (GDPR Art. 4(5): kept separately, encrypted)', () => {
  const table = new PseudonymTable();
  table.record(`p1_${'a'.repeat(32)}`, 'MRN 0042');
  table.record(`p1_${'b'.repeat(32)}`, 'MRN 0043');
  let team: EcKeyPair, recovery: EcKeyPair, stranger: EcKeyPair;

  before(async () => {
    [team, recovery, stranger] = (await Promise.all([1, 2, 3].map(() => generateKeyPair()))) as [
      EcKeyPair,
      EcKeyPair,
      EcKeyPair,
    ];
  });

  describe('the gateway copy', () => {
    it('opens with the gateway storage key', async () => {
      const key = await generateTableStorageKey();
      const sealed = await sealTableForGateway(table, key, organisationId);
      assert.equal(sealed.split('.').length, 5);
      assert.ok(!sealed.includes('MRN'));
      assert.deepEqual(
        (await openTableForGateway(sealed, key, organisationId)).entries(),
        table.entries(),
      );
    });

    it('refuses another key or a flipped bit with ERR_PROTECT_DECRYPTION_FAILED', async () => {
      const key = await generateTableStorageKey();
      const sealed = await sealTableForGateway(table, key, organisationId);
      const failed = hasCode('ERR_PROTECT_DECRYPTION_FAILED');
      await assert.rejects(
        openTableForGateway(sealed, await generateTableStorageKey(), organisationId),
        failed,
      );
      const parts = sealed.split('.');
      parts[3] = (parts[3]![0] === 'A' ? 'B' : 'A') + parts[3]!.slice(1);
      await assert.rejects(openTableForGateway(parts.join('.'), key, organisationId), failed);
      await assert.rejects(openTableForGateway('not-a-jwe', key, organisationId), failed);
    });

    it('refuses another organisation with ERR_PROTECT_KEY_MISMATCH', async () => {
      const key = await generateTableStorageKey();
      const sealed = await sealTableForGateway(table, key, organisationId);
      await assert.rejects(
        openTableForGateway(sealed, key, 'org-2'),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
    });

    it('refuses another algorithm with ERR_PROTECT_ALGORITHM_REFUSED', async () => {
      const key = await generateTableStorageKey();
      const sealed = await new CompactEncrypt(new TextEncoder().encode('{}'))
        .setProtectedHeader({
          alg: 'A256GCMKW',
          enc: 'A256GCM',
          typ: 'vigil-pseudonym-table+jwe',
          organisationId,
        })
        .encrypt(new Uint8Array(32));
      await assert.rejects(
        openTableForGateway(sealed, key, organisationId),
        hasCode('ERR_PROTECT_ALGORITHM_REFUSED'),
      );
    });
  });

  describe('the authorised-staff copy', () => {
    it('opens with the team key and with the recovery key', async () => {
      const sealed = await sealTableForStaff(table, {
        organisationId,
        teamPublicJwk: team.publicJwk,
        recoveryPublicJwk: recovery.publicJwk,
      });
      for (const holder of [team, recovery]) {
        const opened = await openTableForStaff(sealed, holder.privateJwk, organisationId);
        assert.deepEqual(opened.entries(), table.entries());
      }
    });

    it('refuses any other key with ERR_PROTECT_NOT_A_RECIPIENT', async () => {
      const sealed = await sealTableForStaff(table, {
        organisationId,
        teamPublicJwk: team.publicJwk,
        recoveryPublicJwk: recovery.publicJwk,
      });
      await assert.rejects(
        openTableForStaff(sealed, stranger.privateJwk, organisationId),
        hasCode('ERR_PROTECT_NOT_A_RECIPIENT'),
      );
    });

    it('refuses another organisation with ERR_PROTECT_KEY_MISMATCH', async () => {
      const sealed = await sealTableForStaff(table, {
        organisationId,
        teamPublicJwk: team.publicJwk,
        recoveryPublicJwk: recovery.publicJwk,
      });
      await assert.rejects(
        openTableForStaff(sealed, team.privateJwk, 'org-2'),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
    });
  });
});
