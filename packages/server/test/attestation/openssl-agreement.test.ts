import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isVigilError } from '@vigil/core';
import {
  attestationMessage,
  hardwareSerialAllowList,
  newAttestationNonce,
  verifyAttestation,
} from '../../src/attestation/index.js';
import { x509 } from '../../src/tls/x509-provider.js';
import {
  DAY_MS,
  type FakeChip,
  type FakeVendor,
  GENUINE_SERIAL,
  NOW,
  base64url,
  enrolmentKeySpki,
  fakeVendor,
  issue,
  withBrokenSignature,
} from './fake-vendor.js';

/**
 * An independent validator: `openssl verify -CAfile vendor-root.pem -untrusted
 * intermediate.pem leaf.pem`, at the same reference time (`-attime`), must agree
 * with verifyAttestation's verdict. The nonce signature and serial are right in
 * every case, so only the chain decides.
 */
interface Chain {
  readonly root: string;
  readonly intermediate: string;
  readonly chip: FakeChip;
}

describe('agreement with openssl verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-attestation-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let vendor: FakeVendor;
  before(async () => {
    vendor = await fakeVendor();
  });

  const genuineChain = async (chip?: FakeChip): Promise<Chain> => ({
    root: vendor.root.pem,
    intermediate: vendor.signer.pem,
    chip: chip ?? (await vendor.chip()),
  });

  const cases: readonly { label: string; accepted: boolean; chain: () => Promise<Chain> }[] = [
    { label: 'the genuine chain', accepted: true, chain: () => genuineChain() },
    {
      label: 'a rogue vendor chain with identical names',
      accepted: false,
      chain: async () => {
        const rogue = await fakeVendor();
        return { root: vendor.root.pem, intermediate: rogue.signer.pem, chip: await rogue.chip() };
      },
    },
    {
      label: 'a leaf under a keyCertSign but CA:false intermediate',
      accepted: false,
      chain: async () => {
        const notACa = await issue({
          subject: vendor.signer.cert.subjectName.toJSON(),
          issuer: vendor.root,
          ca: false,
          keyUsage: x509.KeyUsageFlags.keyCertSign,
        });
        const chip = await vendor.chip({ issuer: notACa });
        return { root: vendor.root.pem, intermediate: notACa.pem, chip };
      },
    },
    {
      label: 'an intermediate with a broken signature',
      accepted: false,
      chain: async () => ({
        ...(await genuineChain()),
        intermediate: withBrokenSignature(vendor.signer),
      }),
    },
    {
      label: 'an expired leaf',
      accepted: false,
      chain: async () =>
        genuineChain(await vendor.chip({ notAfter: new Date(NOW.getTime() - DAY_MS) })),
    },
  ];

  for (const [index, c] of cases.entries()) {
    it(`${c.accepted ? 'accepts' : 'refuses'} ${c.label}, as openssl verify does`, async () => {
      const chain = await c.chain();
      const ours = await ourVerdict(chain);
      assert.equal(ours, opensslVerdict(chain, index), 'verifyAttestation and openssl disagree');
      assert.equal(ours, c.accepted);
    });
  }

  async function ourVerdict(c: Chain): Promise<boolean> {
    const spki = await enrolmentKeySpki();
    const nonce = newAttestationNonce();
    const signature = base64url(await c.chip.sign(attestationMessage(nonce, spki)));
    const evidence = { chainPem: c.chip.leaf.pem + c.intermediate, nonce, signature };
    const policy = {
      trustedRootsPem: [c.root],
      allowedSerials: hardwareSerialAllowList([GENUINE_SERIAL]),
    };
    try {
      await verifyAttestation(evidence, policy, spki, NOW);
      return true;
    } catch (error) {
      assert.ok(isVigilError(error), String(error));
      return false;
    }
  }

  function opensslVerdict(c: Chain, index: number): boolean {
    const file = (name: string, text: string): string => {
      const path = join(dir, `${index}-${name}`);
      writeFileSync(path, text);
      return path;
    };
    const result = spawnSync(
      'openssl',
      [
        'verify',
        '-attime',
        String(Math.floor(NOW.getTime() / 1000)),
        '-CAfile',
        file('vendor-root.pem', c.root),
        '-untrusted',
        file('intermediate.pem', c.intermediate),
        file('leaf.pem', c.chip.leaf.pem),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(result.error, undefined, 'openssl must be installed');
    return result.status === 0 && /: OK\s*$/.test(result.stdout);
  }
});
