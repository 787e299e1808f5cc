import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isVigilError } from '@vigil/core';
import fc from 'fast-check';
import {
  type AttestationEvidence,
  type AttestationPolicy,
  attestationMessage,
  hardwareSerialAllowList,
  newAttestationNonce,
  verifyAttestation,
} from '../../src/attestation/index.js';
import { x509 } from '../../src/tls/x509-provider.js';
import { GENUINE_SERIAL, NOW, base64url, enrolmentKeySpki, fakeVendor } from './fake-vendor.js';

/**
 * Whatever a device sends, verifyAttestation answers with an ERR_ATTESTATION_*
 * VigilError — never a TypeError from a parser, never a pass. About 200 runs per
 * property; fast-check prints the seed of any failure to replay it.
 */
describe('attestation evidence from a hostile device', () => {
  let genuine: AttestationEvidence;
  let leafDer: Uint8Array;
  let signerPem: string;
  let policy: AttestationPolicy;
  let spki: Uint8Array;

  before(async () => {
    const vendor = await fakeVendor();
    const chip = await vendor.chip();
    spki = await enrolmentKeySpki();
    policy = {
      trustedRootsPem: [vendor.root.pem],
      allowedSerials: hardwareSerialAllowList([GENUINE_SERIAL]),
    };
    const nonce = newAttestationNonce();
    const signature = base64url(await chip.sign(attestationMessage(nonce, spki)));
    genuine = { chainPem: chip.chainPem, nonce, signature };
    leafDer = new Uint8Array(chip.leaf.cert.rawData);
    signerPem = vendor.signer.pem;
  });

  /** Holds when the evidence is refused with an attestation code and nothing else. */
  async function refusedWithAttestationCode(evidence: AttestationEvidence): Promise<boolean> {
    try {
      await verifyAttestation(evidence, policy, spki, NOW);
    } catch (error) {
      assert.ok(isVigilError(error), `not a VigilError: ${String(error)}`);
      assert.match(error.code, /^ERR_ATTESTATION_/);
      return true;
    }
    return false;
  }

  const pem = (bytes: Uint8Array): string =>
    `${x509.PemConverter.encode(new Uint8Array(bytes).buffer, 'CERTIFICATE')}\n`;

  describe('when every field is random text', () => {
    it('refuses it with an ERR_ATTESTATION_* code only', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.string(),
          fc.string(),
          fc.string(),
          async (chainPem, nonce, signature) =>
            refusedWithAttestationCode({ chainPem, nonce, signature }),
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('when the chain is random bytes in a PEM block', () => {
    it('refuses it with an ERR_ATTESTATION_* code only', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) =>
          refusedWithAttestationCode({ ...genuine, chainPem: pem(bytes) + signerPem }),
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('when the genuine PEM chain is truncated', () => {
    // Cutting only the final newline leaves a complete, genuine chain: cut inside the text.
    it('refuses it with an ERR_ATTESTATION_* code only', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: genuine.chainPem.trimEnd().length - 1 }), async (length) =>
          refusedWithAttestationCode({ ...genuine, chainPem: genuine.chainPem.slice(0, length) }),
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('when bytes of the genuine leaf certificate are changed', () => {
    it('refuses it with an ERR_ATTESTATION_* code only', async () => {
      const edit = fc.record({
        at: fc.nat({ max: 4096 }),
        value: fc.integer({ min: 0, max: 255 }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
          const der = new Uint8Array(leafDer);
          let changed = false;
          for (const { at, value } of edits) {
            const index = at % der.length;
            changed ||= der[index] !== value;
            der[index] = value;
          }
          fc.pre(changed);
          return refusedWithAttestationCode({ ...genuine, chainPem: pem(der) + signerPem });
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('when the signature is random bytes', () => {
    it('refuses it with an ERR_ATTESTATION_* code only', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 160 }), async (bytes) =>
          refusedWithAttestationCode({ ...genuine, signature: base64url(bytes) }),
        ),
        { numRuns: 200 },
      );
    });
  });
});
