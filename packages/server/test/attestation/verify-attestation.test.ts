import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { x509 } from '../../src/tls/x509-provider.js';
import {
  type AttestationEvidence,
  type AttestationPolicy,
  attestationMessage,
  hardwareSerialAllowList,
  newAttestationNonce,
  verifyAttestation,
} from '../../src/attestation/index.js';
import {
  DAY_MS,
  type FakeChip,
  type FakeVendor,
  GENUINE_SERIAL,
  NOW,
  assertRefused,
  base64url,
  enrolmentKeySpki,
  fakeVendor,
  issue,
  p1363ToDer,
  withBrokenSignature,
} from './fake-vendor.js';

interface AttestOptions {
  /** Sign this nonce instead of the one presented. */
  readonly signedNonce?: string;
  /** Bind this enrolment key instead of the one verified. */
  readonly signedSpki?: Uint8Array;
  /** Let another chip's key sign. */
  readonly signer?: FakeChip;
  readonly der?: boolean;
  readonly chainPem?: string;
}

describe('genuine-hardware attestation', () => {
  let vendor: FakeVendor;
  let genuine: FakeChip;
  let spki: Uint8Array;
  let policy: AttestationPolicy;

  /** What the agent sends: the chip's chain, a fresh nonce, the element's signature. */
  async function attest(chip: FakeChip, options: AttestOptions = {}): Promise<AttestationEvidence> {
    const nonce = newAttestationNonce();
    const message = attestationMessage(options.signedNonce ?? nonce, options.signedSpki ?? spki);
    const raw = await (options.signer ?? chip).sign(message);
    const signature = base64url(options.der === true ? p1363ToDer(raw) : raw);
    return { chainPem: options.chainPem ?? chip.chainPem, nonce, signature };
  }

  const verify = (evidence: AttestationEvidence, at: Date = NOW) =>
    verifyAttestation(evidence, policy, spki, at);

  before(async () => {
    vendor = await fakeVendor();
    genuine = await vendor.chip();
    spki = await enrolmentKeySpki();
    policy = {
      trustedRootsPem: [vendor.root.pem],
      allowedSerials: hardwareSerialAllowList([GENUINE_SERIAL, 'PUMP-0042']),
    };
  });

  describe('when a genuine chip signs a fresh nonce for this enrolment key', () => {
    it('verifies it and returns the serial and the leaf and root fingerprints', async () => {
      const result = await verify(await attest(genuine));
      assert.deepEqual(result, {
        hardwareSerial: GENUINE_SERIAL,
        leafFingerprintSha256: new X509Certificate(genuine.leaf.pem).fingerprint256,
        vendorRootFingerprintSha256: new X509Certificate(vendor.root.pem).fingerprint256,
      });
    });

    it('reads the serial from a subject serialNumber attribute when there is one', async () => {
      const chip = await vendor.chip({
        subject: [{ O: ['Acme Medical'] }, { CN: ['Infusion pump'] }, { '2.5.4.5': ['pump-0042'] }],
      });
      assert.equal((await verify(await attest(chip))).hardwareSerial, 'PUMP-0042');
    });

    it('accepts the chain with the root appended, and a root among several', async () => {
      const other = await fakeVendor('Other Elements GmbH');
      const withRoot = genuine.chainPem + vendor.root.pem;
      const evidence = await attest(genuine, { chainPem: withRoot });
      const result = await verifyAttestation(
        evidence,
        { ...policy, trustedRootsPem: [other.root.pem, vendor.root.pem] },
        spki,
        NOW,
      );
      assert.equal(result.hardwareSerial, GENUINE_SERIAL);
    });

    it('accepts the signature DER-encoded as well as P1363', async () => {
      assert.equal(
        (await verify(await attest(genuine, { der: true }))).hardwareSerial,
        GENUINE_SERIAL,
      );
    });
  });

  describe('when the chain comes from a rogue vendor root with identical subject names', () => {
    it('refuses it with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const rogue = await fakeVendor();
      assert.equal(rogue.root.cert.subject, vendor.root.cert.subject);
      const counterfeit = await rogue.chip(); // same serial as the genuine chip, too
      await assertRefused(verify(await attest(counterfeit)), 'ERR_ATTESTATION_UNTRUSTED_CHAIN');
    });

    it('refuses a rogue leaf presented with the genuine signer with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const rogue = await fakeVendor();
      const counterfeit = await rogue.chip();
      const chainPem = counterfeit.leaf.pem + vendor.signer.pem;
      await assertRefused(
        verify(await attest(counterfeit, { chainPem })),
        'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      );
    });
  });

  describe('when a certificate in the chain may not issue or does not verify', () => {
    for (const ca of [false, 'absent'] as const) {
      it(`refuses a leaf signed by a keyCertSign but CA:${String(ca)} certificate with ERR_ATTESTATION_UNTRUSTED_CHAIN`, async () => {
        const notACa = await issue({
          subject: vendor.signer.cert.subjectName.toJSON(),
          issuer: vendor.root,
          ca,
          keyUsage: x509.KeyUsageFlags.keyCertSign,
        });
        const chip = await vendor.chip({ issuer: notACa });
        await assertRefused(verify(await attest(chip)), 'ERR_ATTESTATION_UNTRUSTED_CHAIN');
      });
    }

    it("refuses a leaf signed with a genuine chip's key with ERR_ATTESTATION_UNTRUSTED_CHAIN", async () => {
      // The extracted-key attack: one chip's key minting "devices" under its own certificate.
      const chip = await vendor.chip({ issuer: genuine.leaf, serialHex: '0123AAAAAAAAAAAA01' });
      const chainPem = chip.leaf.pem + genuine.chainPem;
      await assertRefused(
        verify(await attest(chip, { chainPem })),
        'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      );
    });

    it('refuses an intermediate with a broken signature with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const chainPem = genuine.leaf.pem + withBrokenSignature(vendor.signer);
      await assertRefused(
        verify(await attest(genuine, { chainPem })),
        'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      );
    });

    it('refuses a leaf that is itself a CA with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const chip = await vendor.chip({ ca: true });
      await assertRefused(verify(await attest(chip)), 'ERR_ATTESTATION_UNTRUSTED_CHAIN');
    });

    it('refuses an intermediate beyond the root pathLen with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const strict = await fakeVendor('Strict Elements Ltd', 0);
      const chip = await strict.chip();
      await assertRefused(
        verifyAttestation(
          await attest(chip),
          { ...policy, trustedRootsPem: [strict.root.pem] },
          spki,
          NOW,
        ),
        'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      );
    });

    it('refuses a chain without its intermediate with ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const chainPem = genuine.leaf.pem;
      await assertRefused(
        verify(await attest(genuine, { chainPem })),
        'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      );
    });
  });

  describe('when a certificate is outside its validity period', () => {
    it('refuses an expired leaf with ERR_ATTESTATION_CERT_EXPIRED', async () => {
      const chip = await vendor.chip({ notAfter: new Date(NOW.getTime() - DAY_MS) });
      await assertRefused(verify(await attest(chip)), 'ERR_ATTESTATION_CERT_EXPIRED');
    });

    it('refuses an intermediate that is not yet valid with ERR_ATTESTATION_CERT_EXPIRED', async () => {
      const future = await issue({
        subject: [
          { O: ['Fake Secure Elements Inc'] },
          { CN: ['Fake Secure Elements Inc Signer 2D00'] },
        ],
        issuer: vendor.root,
        ca: true,
        pathLength: 0,
        notBefore: new Date(NOW.getTime() + DAY_MS),
      });
      const chip = await vendor.chip({ issuer: future });
      await assertRefused(verify(await attest(chip)), 'ERR_ATTESTATION_CERT_EXPIRED');
    });

    it('refuses at an invalid reference time with ERR_INTERNAL, never skipping the dates', async () => {
      await assertRefused(verify(await attest(genuine), new Date(Number.NaN)), 'ERR_INTERNAL');
    });
  });

  describe('when a genuine chip is not in any production-batch manifest', () => {
    it('refuses it with ERR_ATTESTATION_UNKNOWN_SERIAL', async () => {
      const stray = await vendor.chip({ serialHex: '01239999999999999901' });
      await assertRefused(verify(await attest(stray)), 'ERR_ATTESTATION_UNKNOWN_SERIAL');
    });

    it('checks the chain first: a counterfeit with an unknown serial is ERR_ATTESTATION_UNTRUSTED_CHAIN', async () => {
      const rogue = await fakeVendor();
      const counterfeit = await rogue.chip({ serialHex: '01239999999999999901' });
      await assertRefused(verify(await attest(counterfeit)), 'ERR_ATTESTATION_UNTRUSTED_CHAIN');
    });
  });

  describe('when the signature does not cover this nonce, this enrolment key or this chip', () => {
    it('refuses a signature over another nonce with ERR_ATTESTATION_SIGNATURE', async () => {
      const evidence = await attest(genuine, { signedNonce: newAttestationNonce() });
      await assertRefused(verify(evidence), 'ERR_ATTESTATION_SIGNATURE');
    });

    it('refuses a signature binding another enrolment key with ERR_ATTESTATION_SIGNATURE', async () => {
      const evidence = await attest(genuine, { signedSpki: await enrolmentKeySpki() });
      await assertRefused(verify(evidence), 'ERR_ATTESTATION_SIGNATURE');
    });

    it("refuses another genuine chip's signature with ERR_ATTESTATION_SIGNATURE", async () => {
      const sibling = await vendor.chip();
      await assertRefused(
        verify(await attest(genuine, { signer: sibling })),
        'ERR_ATTESTATION_SIGNATURE',
      );
    });

    it('refuses a P1363 signature with one bit flipped with ERR_ATTESTATION_SIGNATURE', async () => {
      const evidence = await attest(genuine);
      const bytes = Buffer.from(evidence.signature, 'base64url');
      bytes[10] = (bytes[10] ?? 0) ^ 0x01;
      const tampered = { ...evidence, signature: bytes.toString('base64url') };
      await assertRefused(verify(tampered), 'ERR_ATTESTATION_SIGNATURE');
    });
  });
});
