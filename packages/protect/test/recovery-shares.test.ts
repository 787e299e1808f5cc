import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { base64url } from 'jose';
import { combine } from 'shamir-secret-sharing';
import {
  generateKeyPair,
  newEpoch,
  openTableForStaff,
  parseShare,
  PseudonymTable,
  rebuildRecoveryKey,
  sealTableForStaff,
  splitRecoveryKey,
  unwrapTeamKey,
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

/** Rewrites share fields the way a careless or malicious custodian could, checksum included. */
function forge(text: string, edit: (fields: string[]) => void): string {
  const fields = text.split(':').slice(0, 7);
  edit(fields);
  const body = fields.join(':');
  return `${body}:${createHash('sha256').update(body).digest('hex').slice(0, 8)}`;
}

function withByte(text: string, at: number, xor: number): string {
  return forge(text, (fields) => {
    const bytes = base64url.decode(fields[6]!);
    bytes[at] = bytes[at]! ^ xor;
    fields[6] = base64url.encode(bytes);
  });
}

describe('k-of-n recovery of the recovery key', () => {
  let recovery: EcKeyPair;
  let shares: string[];

  before(async () => {
    recovery = await generateKeyPair();
    shares = await splitRecoveryKey(recovery.privateJwk, { threshold: 3, shares: 5 }, 'split-a');
  });

  it('writes vigil-share:v1 texts with a checksum', async () => {
    assert.equal(shares.length, 5);
    for (const [i, text] of shares.entries()) {
      assert.match(text, /^vigil-share:v1:split-a:3:5:\d:[A-Za-z0-9_-]+:[0-9a-f]{8}$/);
      const share = await parseShare(text);
      assert.deepEqual(
        [share.splitId, share.threshold, share.shares, share.index],
        ['split-a', 3, 5, i + 1],
      );
    }
  });

  describe('when k or more shares are presented', () => {
    it('rebuilds and verifies the key from any 3 of 5', async () => {
      for (const [a, b, c] of [
        [0, 1, 2],
        [0, 2, 4],
        [1, 3, 4],
        [4, 2, 0],
      ] as const) {
        const rebuilt = await rebuildRecoveryKey(
          [shares[a]!, shares[b]!, shares[c]!],
          recovery.publicJwk,
        );
        assert.deepEqual(rebuilt, recovery.privateJwk);
      }
    });

    it('rebuilds from all 5, and from texts with surrounding whitespace', async () => {
      assert.deepEqual(await rebuildRecoveryKey(shares, recovery.publicJwk), recovery.privateJwk);
      const padded = shares.slice(0, 3).map((s) => ` ${s}\n`);
      assert.deepEqual(await rebuildRecoveryKey(padded, recovery.publicJwk), recovery.privateJwk);
    });
  });

  describe('when fewer than k shares are presented', () => {
    it('refuses 2 of 5 with ERR_RECOVERY_NOT_ENOUGH_SHARES', async () => {
      await assert.rejects(
        rebuildRecoveryKey(shares.slice(0, 2), recovery.publicJwk),
        hasCode('ERR_RECOVERY_NOT_ENOUGH_SHARES'),
      );
      await assert.rejects(
        rebuildRecoveryKey([], recovery.publicJwk),
        hasCode('ERR_RECOVERY_NOT_ENOUGH_SHARES'),
      );
    });

    it('refuses 2 shares whose header claims k=2 with ERR_RECOVERY_KEY_MISMATCH (the library would return garbage)', async () => {
      const lying = shares.slice(0, 2).map((s) => forge(s, (f) => (f[3] = '2')));
      // The library itself does not notice: it returns a secret, just the wrong one.
      const garbage = await combine(
        await Promise.all(lying.map(async (s) => (await parseShare(s)).bytes)),
      );
      assert.notDeepEqual(garbage, new TextEncoder().encode(JSON.stringify(recovery.privateJwk)));
      await assert.rejects(
        rebuildRecoveryKey(lying, recovery.publicJwk),
        hasCode('ERR_RECOVERY_KEY_MISMATCH'),
      );
    });
  });

  describe('when a share is tampered with and its checksum recomputed', () => {
    it('refuses it with ERR_RECOVERY_KEY_MISMATCH wherever the byte is', async () => {
      for (const at of [0, 5, 20, 30, 70, 100]) {
        const tampered = [withByte(shares[0]!, at, 0x01), shares[1]!, shares[2]!];
        await assert.rejects(
          rebuildRecoveryKey(tampered, recovery.publicJwk),
          hasCode('ERR_RECOVERY_KEY_MISMATCH'),
        );
      }
    });

    it('refuses it even when the rebuilt JWK is well formed with the published x and y (only d differs)', async () => {
      // Byte 30 of the canonical JSON lies inside "d". Try every change of that byte
      // and keep those for which the library returns a parseable JWK with the right x, y:
      // a field comparison alone would accept those; the ECDH round trip must not.
      let wellFormed = 0;
      for (let xor = 1; xor < 256; xor++) {
        const tampered = [withByte(shares[0]!, 30, xor), shares[1]!, shares[2]!];
        const secret = await combine(
          await Promise.all(tampered.map(async (s) => (await parseShare(s)).bytes)),
        );
        let jwk: { x?: string; y?: string; d?: string } | undefined;
        try {
          jwk = JSON.parse(new TextDecoder().decode(secret)) as typeof jwk;
        } catch {
          continue;
        }
        if (jwk?.x !== recovery.publicJwk.x || !/^[A-Za-z0-9_-]{43}$/.test(jwk.d ?? '')) continue;
        wellFormed++;
        await assert.rejects(
          rebuildRecoveryKey(tampered, recovery.publicJwk),
          hasCode('ERR_RECOVERY_KEY_MISMATCH'),
        );
      }
      assert.ok(wellFormed > 0, 'no tampering produced a well-formed JWK; the test proves nothing');
    });
  });

  describe('when a share has a typo', () => {
    it('refuses it with ERR_RECOVERY_SHARE_CHECKSUM', async () => {
      const text = shares[0]!;
      const at = text.lastIndexOf(':') - 5;
      const typo = text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
      await assert.rejects(parseShare(typo), hasCode('ERR_RECOVERY_SHARE_CHECKSUM'));
      await assert.rejects(
        rebuildRecoveryKey([typo, shares[1]!, shares[2]!], recovery.publicJwk),
        hasCode('ERR_RECOVERY_SHARE_CHECKSUM'),
      );
    });

    it('refuses text that is not a share with ERR_RECOVERY_SHARE_MALFORMED', async () => {
      const malformed = hasCode('ERR_RECOVERY_SHARE_MALFORMED');
      await assert.rejects(parseShare('hello'), malformed);
      await assert.rejects(
        parseShare(shares[0]!.replace('vigil-share:v1', 'vigil-share:v2')),
        malformed,
      );
      await assert.rejects(parseShare(forge(shares[0]!, (f) => (f[3] = '6'))), malformed); // k > n
      await assert.rejects(parseShare(forge(shares[0]!, (f) => (f[5] = '0'))), malformed);
      await assert.rejects(parseShare(forge(shares[0]!, (f) => (f[6] = 'a'))), malformed);
    });
  });

  describe('when shares come from two splits', () => {
    it('refuses them with ERR_RECOVERY_SHARES_MIXED', async () => {
      const other = await splitRecoveryKey(recovery.privateJwk, { threshold: 3, shares: 5 });
      await assert.rejects(
        rebuildRecoveryKey([shares[0]!, shares[1]!, other[2]!], recovery.publicJwk),
        hasCode('ERR_RECOVERY_SHARES_MIXED'),
      );
    });

    it('still refuses two splits that reused a split id, with ERR_RECOVERY_KEY_MISMATCH', async () => {
      const again = await splitRecoveryKey(
        recovery.privateJwk,
        { threshold: 3, shares: 5 },
        'split-a',
      );
      await assert.rejects(
        rebuildRecoveryKey([shares[0]!, shares[1]!, again[2]!], recovery.publicJwk),
        hasCode('ERR_RECOVERY_KEY_MISMATCH'),
      );
    });
  });

  describe('when a share is presented twice', () => {
    it('refuses it with ERR_RECOVERY_SHARE_DUPLICATE', async () => {
      await assert.rejects(
        rebuildRecoveryKey([shares[0]!, shares[1]!, shares[0]!], recovery.publicJwk),
        hasCode('ERR_RECOVERY_SHARE_DUPLICATE'),
      );
    });
  });

  describe('when the shares rebuild another organisation’s recovery key', () => {
    it('refuses it with ERR_RECOVERY_KEY_MISMATCH', async () => {
      const stranger = await generateKeyPair();
      await assert.rejects(
        rebuildRecoveryKey(shares.slice(0, 3), stranger.publicJwk),
        hasCode('ERR_RECOVERY_KEY_MISMATCH'),
      );
    });
  });

  it('refuses a policy outside 2 ≤ k ≤ n ≤ 255 or a bad split id with ERR_PROTECT_PARAMETERS_INVALID', async () => {
    const invalid = hasCode('ERR_PROTECT_PARAMETERS_INVALID');
    await assert.rejects(
      splitRecoveryKey(recovery.privateJwk, { threshold: 1, shares: 5 }),
      invalid,
    );
    await assert.rejects(
      splitRecoveryKey(recovery.privateJwk, { threshold: 4, shares: 3 }),
      invalid,
    );
    await assert.rejects(
      splitRecoveryKey(recovery.privateJwk, { threshold: 3, shares: 256 }),
      invalid,
    );
    await assert.rejects(
      splitRecoveryKey(recovery.privateJwk, { threshold: 2, shares: 3 }, 'a:b'),
      invalid,
    );
  });
});

describe('after recovery', () => {
  it('decrypts every earlier epoch and the data sealed to it', async () => {
    const [alice, bob, recovery] = (await Promise.all([1, 2, 3].map(() => generateKeyPair()))) as [
      EcKeyPair,
      EcKeyPair,
      EcKeyPair,
    ];
    const texts = await splitRecoveryKey(recovery.privateJwk, { threshold: 3, shares: 5 });
    const epochs: TeamEpoch[] = [];
    const members = [[alice, bob], [alice], [bob]];
    for (const current of members) {
      epochs.push(
        await newEpoch({
          organisationId,
          previousEpoch: epochs.length,
          memberPublicJwks: current.map((m) => m.publicJwk),
          recoveryPublicJwk: recovery.publicJwk,
        }),
      );
    }
    const table = new PseudonymTable();
    table.record(`p1_${'a'.repeat(32)}`, 'MRN 0042');
    const sealed = await sealTableForStaff(table, {
      organisationId,
      teamPublicJwk: epochs[0]!.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });

    // Every member key is lost; three custodians bring their shares.
    const rebuilt = await rebuildRecoveryKey([texts[4]!, texts[1]!, texts[3]!], recovery.publicJwk);
    for (const epoch of epochs) {
      const team = await unwrapTeamKey(epoch.wrapped, rebuilt, {
        organisationId,
        epoch: epoch.epoch,
      });
      assert.deepEqual(team, epoch.teamKey.privateJwk);
    }
    const team1 = await unwrapTeamKey(epochs[0]!.wrapped, rebuilt, { organisationId, epoch: 1 });
    assert.deepEqual(
      (await openTableForStaff(sealed, team1, organisationId)).entries(),
      table.entries(),
    );
  });
});
