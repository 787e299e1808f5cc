import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  KEYSTORE_MIN_ITERATIONS,
  generateKeyPair,
  generateSigningKeyPair,
  openKeystore,
  sealKeystore,
  type EcKeyPair,
  type KeystoreContents,
  type SigningKeyPair,
} from '@vigil/protect';

const PASSPHRASE = 'correct horse battery staple, twice';
const ORGANISATION_ID = 'care-1';

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

/** Parses keystore text, lets `edit` change it, and serialises it again. */
function edited(text: string, edit: (sealed: Record<string, Record<string, unknown>>) => void) {
  const sealed = JSON.parse(text) as Record<string, Record<string, unknown>>;
  edit(sealed);
  return JSON.stringify(sealed);
}

describe('a member keystore', () => {
  let member: EcKeyPair;
  let signing: SigningKeyPair;
  let contents: KeystoreContents;
  let text: string;

  before(async () => {
    [member, signing] = await Promise.all([generateKeyPair(), generateSigningKeyPair()]);
    contents = {
      memberKey: member.privateJwk,
      signingKey: signing.privateJwk,
      organisationId: ORGANISATION_ID,
      userEmail: 'ann@care.example',
      createdAt: '2026-11-29T10:00:00.000Z',
    };
    text = await sealKeystore(PASSPHRASE, contents);
  });

  describe('when sealed and opened with the same passphrase', () => {
    it('gives back the same keys and facts', async () => {
      assert.deepEqual(await openKeystore(text, PASSPHRASE), contents);
    });

    it('writes the versioned header with PBKDF2-SHA256 and 600,000 iterations', () => {
      const sealed = JSON.parse(text) as Record<string, unknown>;
      assert.deepEqual(Object.keys(sealed), [
        'format',
        'version',
        'kdf',
        'enc',
        'iv',
        'ciphertext',
      ]);
      assert.equal(sealed['format'], 'vigil-keystore');
      assert.equal(sealed['version'], 1);
      assert.equal(sealed['enc'], 'A256GCM');
      const kdf = sealed['kdf'] as Record<string, unknown>;
      assert.deepEqual(
        [kdf['name'], kdf['hash'], kdf['iterations']],
        ['PBKDF2', 'SHA-256', 600000],
      );
      assert.match(String(kdf['salt']), /^[A-Za-z0-9_-]{22}$/);
      assert.match(String(sealed['iv']), /^[A-Za-z0-9_-]{16}$/);
    });

    it('never carries a private key in clear', () => {
      assert.ok(!text.includes(member.privateJwk.d));
      assert.ok(!text.includes(signing.privateJwk.d));
      assert.ok(!text.includes(ORGANISATION_ID));
    });

    it('uses a fresh salt and IV on every sealing', async () => {
      const again = JSON.parse(await sealKeystore(PASSPHRASE, contents)) as Record<string, unknown>;
      const first = JSON.parse(text) as Record<string, unknown>;
      assert.notEqual(again['iv'], first['iv']);
      assert.notDeepEqual(again['kdf'], first['kdf']);
    });

    it('accepts a passphrase typed in another Unicode normalisation form', async () => {
      const composed = 'caf\u00e9 au lait, sans sucre';
      const sealed = await sealKeystore(composed, {
        organisationId: 'o',
        createdAt: contents.createdAt,
      });
      const opened = await openKeystore(sealed, composed.normalize('NFD'));
      assert.equal(opened.organisationId, 'o');
    });

    it('keeps a keystore with only an organisation (an admin before the ceremony)', async () => {
      const bare = { organisationId: ORGANISATION_ID, createdAt: contents.createdAt };
      assert.deepEqual(await openKeystore(await sealKeystore(PASSPHRASE, bare), PASSPHRASE), bare);
    });
  });

  describe('when the passphrase is wrong', () => {
    it('refuses with ERR_KEYSTORE_PASSPHRASE', async () => {
      await assert.rejects(
        openKeystore(text, `${PASSPHRASE}!`),
        hasCode('ERR_KEYSTORE_PASSPHRASE'),
      );
    });
  });

  describe('when a header field or the ciphertext was altered', () => {
    const tamperings: Array<[string, (s: Record<string, Record<string, unknown>>) => void]> = [
      ['the salt', (s) => (s['kdf']!['salt'] = 'AAAAAAAAAAAAAAAAAAAAAA')],
      ['the iteration count (raised)', (s) => (s['kdf']!['iterations'] = 600001)],
      ['the IV', (s) => ((s as Record<string, unknown>)['iv'] = 'AAAAAAAAAAAAAAAA')],
      [
        'the ciphertext',
        (s) => {
          const c = String((s as Record<string, unknown>)['ciphertext']);
          (s as Record<string, unknown>)['ciphertext'] = `${c[0] === 'A' ? 'B' : 'A'}${c.slice(1)}`;
        },
      ],
    ];
    for (const [what, edit] of tamperings) {
      it(`refuses a changed ${what} with ERR_KEYSTORE_PASSPHRASE`, async () => {
        await assert.rejects(
          openKeystore(edited(text, edit), PASSPHRASE),
          hasCode('ERR_KEYSTORE_PASSPHRASE'),
        );
      });
    }

    it('refuses an unknown format version with ERR_KEYSTORE_MALFORMED', async () => {
      const v2 = edited(text, (s) => ((s as Record<string, unknown>)['version'] = 2));
      await assert.rejects(openKeystore(v2, PASSPHRASE), hasCode('ERR_KEYSTORE_MALFORMED'));
    });

    it('refuses another cipher or an extra member with ERR_KEYSTORE_MALFORMED', async () => {
      const cbc = edited(text, (s) => ((s as Record<string, unknown>)['enc'] = 'A256CBC-HS512'));
      await assert.rejects(openKeystore(cbc, PASSPHRASE), hasCode('ERR_KEYSTORE_MALFORMED'));
      const extra = edited(text, (s) => ((s as Record<string, unknown>)['hint'] = 'my dog'));
      await assert.rejects(openKeystore(extra, PASSPHRASE), hasCode('ERR_KEYSTORE_MALFORMED'));
    });
  });

  describe('when the key derivation is downgraded', () => {
    it('refuses fewer than 600,000 iterations before deriving anything', async () => {
      for (const iterations of [599_999, 100_000, 1, 0, -1, 1.5, '600000']) {
        const weak = edited(text, (s) => (s['kdf']!['iterations'] = iterations));
        await assert.rejects(openKeystore(weak, PASSPHRASE), hasCode('ERR_KEYSTORE_KDF_REFUSED'));
      }
    });

    it('refuses another PRF or KDF', async () => {
      const sha1 = edited(text, (s) => (s['kdf']!['hash'] = 'SHA-1'));
      await assert.rejects(openKeystore(sha1, PASSPHRASE), hasCode('ERR_KEYSTORE_KDF_REFUSED'));
      const other = edited(text, (s) => (s['kdf']!['name'] = 'scrypt'));
      await assert.rejects(openKeystore(other, PASSPHRASE), hasCode('ERR_KEYSTORE_KDF_REFUSED'));
    });

    it('refuses an iteration count that would take hours', async () => {
      const slow = edited(text, (s) => (s['kdf']!['iterations'] = 2 ** 40));
      await assert.rejects(openKeystore(slow, PASSPHRASE), hasCode('ERR_KEYSTORE_KDF_REFUSED'));
    });

    it('does not seal with fewer iterations either', async () => {
      await assert.rejects(
        sealKeystore(PASSPHRASE, contents, { iterations: KEYSTORE_MIN_ITERATIONS - 1 }),
        hasCode('ERR_KEYSTORE_KDF_REFUSED'),
      );
    });
  });

  describe('when sealing', () => {
    it('refuses a passphrase shorter than 15 characters with ERR_KEYSTORE_PASSPHRASE_WEAK', async () => {
      await assert.rejects(
        sealKeystore('fourteen chars', contents),
        hasCode('ERR_KEYSTORE_PASSPHRASE_WEAK'),
      );
    });

    it('refuses contents that would not open again with ERR_KEYSTORE_MALFORMED', async () => {
      const bad: unknown[] = [
        { ...contents, organisationId: '' },
        { ...contents, createdAt: 'yesterday' },
        { ...contents, memberKey: { ...member.publicJwk } },
        { ...contents, signingKey: { ...signing.privateJwk, crv: 'P-384' } },
        { ...contents, password: 'hunter2' },
      ];
      for (const value of bad) {
        await assert.rejects(
          sealKeystore(PASSPHRASE, value as KeystoreContents),
          hasCode('ERR_KEYSTORE_MALFORMED'),
        );
      }
    });
  });
});

describe('@vigil/protect exports', () => {
  it('exports the keystore and the pseudonym-secret copy', async () => {
    const exported = new Set(Object.keys(await import('@vigil/protect')));
    for (const name of [
      'sealKeystore',
      'openKeystore',
      'KEYSTORE_MIN_ITERATIONS',
      'KEYSTORE_MIN_PASSPHRASE_LENGTH',
      'sealPseudonymSecretForStaff',
      'openPseudonymSecretForStaff',
      'PSEUDONYM_SECRET_JWE_TYPE',
    ]) {
      assert.ok(exported.has(name), name);
    }
  });
});
