import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ErrorCode } from '@vigil/core';
import {
  type AttestationEvidence,
  type AttestationPolicy,
  attestationMessage,
  hardwareSerialAllowList,
  newAttestationNonce,
  verifyAttestation,
} from '../../src/attestation/index.js';
import { x509 } from '../../src/tls/x509-provider.js';
import {
  type FakeChip,
  type FakeVendor,
  GENUINE_SERIAL,
  NOW,
  assertRefused,
  base64url,
  enrolmentKeySpki,
  fakeVendor,
} from './fake-vendor.js';

describe('reading attestation evidence and policy', () => {
  let vendor: FakeVendor;
  let chip: FakeChip;
  let spki: Uint8Array;
  let policy: AttestationPolicy;
  let genuine: AttestationEvidence;

  before(async () => {
    vendor = await fakeVendor();
    chip = await vendor.chip();
    spki = await enrolmentKeySpki();
    policy = {
      trustedRootsPem: [vendor.root.pem],
      allowedSerials: hardwareSerialAllowList([GENUINE_SERIAL]),
    };
    const nonce = newAttestationNonce();
    const signature = base64url(await chip.sign(attestationMessage(nonce, spki)));
    genuine = { chainPem: chip.chainPem, nonce, signature };
  });

  const refuses = (
    evidence: Partial<AttestationEvidence>,
    code: ErrorCode = 'ERR_ATTESTATION_MALFORMED',
  ): Promise<void> =>
    assertRefused(verifyAttestation({ ...genuine, ...evidence }, policy, spki, NOW), code);

  describe('when the chain is not a short list of PEM certificates', () => {
    it('refuses six certificates with ERR_ATTESTATION_MALFORMED', async () => {
      await refuses({ chainPem: chip.chainPem.repeat(3) });
    });

    it('refuses more than 32 KiB with ERR_ATTESTATION_MALFORMED', async () => {
      await refuses({ chainPem: chip.chainPem + '#'.repeat(32 * 1024) });
    });

    it('refuses a chain without any PEM block with ERR_ATTESTATION_MALFORMED', async () => {
      await refuses({ chainPem: '' });
      await refuses({ chainPem: Buffer.from(chip.leaf.cert.rawData).toString('base64') });
    });

    it('refuses another PEM type in the chain with ERR_ATTESTATION_MALFORMED', async () => {
      const key = x509.PemConverter.encode(new Uint8Array([1, 2, 3]).buffer, 'PRIVATE KEY');
      await refuses({ chainPem: `${chip.chainPem}${key}\n` });
    });

    it('refuses a certificate with bytes after its DER with ERR_ATTESTATION_MALFORMED', async () => {
      const der = new Uint8Array([...new Uint8Array(chip.leaf.cert.rawData), 0]);
      const padded = x509.PemConverter.encode(der.buffer, 'CERTIFICATE');
      await refuses({ chainPem: `${padded}\n${vendor.signer.pem}` });
    });

    it('refuses a chain that is not text with ERR_ATTESTATION_MALFORMED', async () => {
      const wire: unknown = { ...genuine, chainPem: 42 };
      await refuses(wire as AttestationEvidence);
    });
  });

  describe('when the signature is not 1–104 bytes of base64url', () => {
    for (const [label, signature] of [
      ['empty', ''],
      ['standard base64', '+/+/'],
      ['too long', base64url(new Uint8Array(105))],
    ] as const) {
      it(`refuses an ${label} signature with ERR_ATTESTATION_MALFORMED`, async () => {
        await refuses({ signature });
      });
    }
  });

  describe('when the signature carries base64 padding', () => {
    it('accepts it: firmware encoders differ', async () => {
      const padded = `${genuine.signature}${'='.repeat((4 - (genuine.signature.length % 4)) % 4)}`;
      const result = await verifyAttestation({ ...genuine, signature: padded }, policy, spki, NOW);
      assert.equal(result.hardwareSerial, GENUINE_SERIAL);
    });
  });

  describe('when the model policy has no usable vendor root', () => {
    it('fails with ERR_CONFIG_INVALID, a server problem rather than a counterfeit', async () => {
      await assertRefused(
        verifyAttestation(genuine, { ...policy, trustedRootsPem: [] }, spki, NOW),
        'ERR_CONFIG_INVALID',
      );
      await assertRefused(
        verifyAttestation(genuine, { ...policy, trustedRootsPem: ['not a PEM'] }, spki, NOW),
        'ERR_CONFIG_INVALID',
      );
    });
  });
});
