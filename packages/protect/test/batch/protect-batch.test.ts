import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CompactEncrypt, compactDecrypt, CompactSign, type CompactJWEHeaderParameters } from 'jose';
import { BATCH_JWE_TYPE, openBatch, protectBatch, structureOfBatch } from '@vigil/protect';
import {
  CREATED_AT,
  DEVICE_ID,
  ORGANISATION_ID,
  OTHER_DEVICE_ID,
  OTHER_PSEUDONYM,
  PSEUDONYM,
  batchInput,
  decodeSegment,
  encodeSegment,
  flipBit,
  hasCode,
  makeWorld,
  observations,
  readerOptions,
  type DeviceKeys,
  type World,
} from './fixtures.js';

describe('a protected batch', () => {
  let world: World;
  let batch: string;
  let segments: string[];
  before(async () => {
    world = await makeWorld();
    batch = await protectBatch(batchInput(world));
    segments = batch.split('.');
  });

  /** Re-encrypts `jws` under the real data key with `header`: what a data-key holder could do. */
  async function reEncrypt(jws: Uint8Array | string, header: Record<string, unknown>) {
    const bytes = typeof jws === 'string' ? new TextEncoder().encode(jws) : jws;
    return new CompactEncrypt(bytes)
      .setProtectedHeader(header as CompactJWEHeaderParameters)
      .encrypt(world.dataKey.key);
  }

  describe('when it is intact', () => {
    it('opens to the signed readings and the header fields', async () => {
      const opened = await openBatch(batch, {
        ...readerOptions(world),
        expected: { organisationId: ORGANISATION_ID, deviceId: DEVICE_ID, pseudonym: PSEUDONYM },
        lastSequence: 6,
      });
      assert.deepEqual(opened, {
        organisationId: ORGANISATION_ID,
        deviceId: DEVICE_ID,
        sequence: 7,
        createdAt: CREATED_AT.toISOString(),
        pseudonym: PSEUDONYM,
        // The readings of observations(3) lie 2 s and 0 s before CREATED_AT.
        from: new Date(CREATED_AT.getTime() - 2000).toISOString(),
        to: CREATED_AT.toISOString(),
        epoch: 1,
        kid: world.dataKey.kid,
        observations: observations(3),
      });
    });

    it('shows the server its structure without decrypting', () => {
      assert.deepEqual(structureOfBatch(batch), {
        organisationId: ORGANISATION_ID,
        deviceId: DEVICE_ID,
        sequence: 7,
        createdAt: CREATED_AT.toISOString(),
        pseudonym: PSEUDONYM,
        // The readings of observations(3) lie 2 s and 0 s before CREATED_AT.
        from: new Date(CREATED_AT.getTime() - 2000).toISOString(),
        to: CREATED_AT.toISOString(),
        epoch: 1,
        kid: world.dataKey.kid,
      });
      assert.equal(decodeSegment(segments[0]!)['typ'], BATCH_JWE_TYPE);
    });

    it('opens with the device key given as a JWK too', async () => {
      const exportable = (await globalThis.crypto.subtle.generateKey(
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['sign', 'verify'],
      )) as DeviceKeys;
      const privateJwk = await globalThis.crypto.subtle.exportKey('jwk', exportable.privateKey);
      const publicJwk = await globalThis.crypto.subtle.exportKey('jwk', exportable.publicKey);
      const signed = await protectBatch(batchInput(world, { signingKey: privateJwk as never }));
      const options = { ...readerOptions(world), deviceVerificationKey: () => publicJwk as never };
      assert.equal((await openBatch(signed, options)).sequence, 7);
    });
  });

  describe('when a bit is flipped', () => {
    for (const [name, index] of [
      ['IV', 2],
      ['ciphertext', 3],
      ['tag', 4],
    ] as const) {
      it(`in the ${name}, it is refused with ERR_BATCH_DECRYPTION_FAILED`, async () => {
        const tampered = [...segments];
        tampered[index] = flipBit(tampered[index]!, 5);
        await assert.rejects(
          openBatch(tampered.join('.'), readerOptions(world)),
          hasCode('ERR_BATCH_DECRYPTION_FAILED'),
        );
      });
    }

    it('anywhere in the protected header, it is refused with a coded error', async () => {
      const length = segments[0]!.length * 0.75;
      for (let at = 0; at < length - 1; at += 7) {
        const tampered = [flipBit(segments[0]!, at), ...segments.slice(1)].join('.');
        await assert.rejects(
          openBatch(tampered, readerOptions(world)),
          hasCode(
            'ERR_BATCH_MALFORMED',
            'ERR_BATCH_DECRYPTION_FAILED',
            'ERR_BATCH_KEY_UNKNOWN',
            'ERR_PROTECT_ALGORITHM_REFUSED',
          ),
        );
      }
    });
  });

  describe('when the header is edited to move the batch (AAD)', () => {
    for (const [field, value] of [
      ['deviceId', OTHER_DEVICE_ID],
      ['pseudonym', OTHER_PSEUDONYM],
      ['sequence', 8],
      ['createdAt', '2026-11-30T10:00:00.000Z'],
      ['from', '2026-11-29T09:00:00.000Z'],
      ['to', '2026-11-30T10:00:00.000Z'],
      ['organisationId', 'org-2'],
    ] as const) {
      it(`to another ${field}, decryption fails with ERR_BATCH_DECRYPTION_FAILED`, async () => {
        const header = { ...decodeSegment(segments[0]!), [field]: value };
        const edited = [encodeSegment(header), ...segments.slice(1)].join('.');
        await assert.rejects(
          openBatch(edited, readerOptions(world)),
          hasCode('ERR_BATCH_DECRYPTION_FAILED'),
        );
      });
    }
  });

  describe('when the signature is not the device’s', () => {
    it('a batch signed by another device under this device id is ERR_BATCH_SIGNATURE', async () => {
      const forged = await protectBatch(
        batchInput(world, { signingKey: world.otherDevice.privateKey }),
      );
      await assert.rejects(openBatch(forged, readerOptions(world)), hasCode('ERR_BATCH_SIGNATURE'));
    });

    it('an unknown device is ERR_BATCH_SIGNATURE', async () => {
      const options = { ...readerOptions(world), deviceVerificationKey: () => undefined };
      await assert.rejects(openBatch(batch, options), hasCode('ERR_BATCH_SIGNATURE'));
    });

    it('an HS256 or unsigned inner JWS is ERR_BATCH_SIGNATURE', async () => {
      const payload = new TextEncoder().encode('{}');
      const hs256 = await new CompactSign(payload)
        .setProtectedHeader({ alg: 'HS256', typ: 'vigil-batch+jws' })
        .sign(new Uint8Array(32));
      const none = `${encodeSegment({ alg: 'none', typ: 'vigil-batch+jws' })}.${encodeSegment({})}.`;
      for (const jws of [hs256, none]) {
        const wrapped = await reEncrypt(jws, decodeSegment(segments[0]!));
        await assert.rejects(
          openBatch(wrapped, readerOptions(world)),
          hasCode('ERR_BATCH_SIGNATURE'),
        );
      }
    });
  });

  describe('when a data-key holder re-encrypts a signed batch under another header', () => {
    for (const [field, value] of [
      ['pseudonym', OTHER_PSEUDONYM],
      ['sequence', 99],
      ['createdAt', '2026-11-30T10:00:00.000Z'],
      ['from', '2026-11-29T09:00:00.000Z'],
      ['to', '2026-11-30T10:00:00.000Z'],
    ] as const) {
      it(`naming another ${field}, it is refused with ERR_BATCH_BINDING`, async () => {
        const { plaintext } = await compactDecrypt(batch, world.dataKey.key);
        const moved = await reEncrypt(plaintext, {
          ...decodeSegment(segments[0]!),
          [field]: value,
        });
        await assert.rejects(openBatch(moved, readerOptions(world)), hasCode('ERR_BATCH_BINDING'));
      });
    }

    it('naming another device, the other device’s key does not verify it', async () => {
      const { plaintext } = await compactDecrypt(batch, world.dataKey.key);
      const moved = await reEncrypt(plaintext, {
        ...decodeSegment(segments[0]!),
        deviceId: OTHER_DEVICE_ID,
      });
      await assert.rejects(openBatch(moved, readerOptions(world)), hasCode('ERR_BATCH_SIGNATURE'));
    });
  });

  describe('when the reader expects another organisation, device or patient', () => {
    for (const expected of [
      { organisationId: 'org-2' },
      { organisationId: ORGANISATION_ID, deviceId: OTHER_DEVICE_ID },
      { organisationId: ORGANISATION_ID, pseudonym: OTHER_PSEUDONYM },
    ]) {
      it(`refuses with ERR_BATCH_BINDING (${JSON.stringify(expected)})`, async () => {
        await assert.rejects(
          openBatch(batch, { ...readerOptions(world), expected }),
          hasCode('ERR_BATCH_BINDING'),
        );
      });
    }
  });

  describe('when the sequence number was already accepted', () => {
    for (const lastSequence of [7, 8]) {
      it(`refuses sequence 7 after ${lastSequence} with ERR_BATCH_REPLAYED`, async () => {
        await assert.rejects(
          openBatch(batch, { ...readerOptions(world), lastSequence }),
          hasCode('ERR_BATCH_REPLAYED'),
        );
      });
    }
  });

  describe('when the algorithms are not dir and A256GCM', () => {
    for (const change of [
      { alg: 'ECDH-ES' },
      { enc: 'A128GCM' },
      { alg: 'none' },
      { zip: 'DEF' },
    ]) {
      it(`refuses ${JSON.stringify(change)} before decrypting`, async () => {
        const header = { ...decodeSegment(segments[0]!), ...change };
        const edited = [encodeSegment(header), ...segments.slice(1)].join('.');
        await assert.rejects(
          openBatch(edited, readerOptions(world)),
          hasCode('zip' in change ? 'ERR_BATCH_MALFORMED' : 'ERR_PROTECT_ALGORITHM_REFUSED'),
        );
      });
    }
  });

  describe('when the agent is given inconsistent input', () => {
    for (const [name, overrides] of [
      ['a sequence of 0', { sequence: 0 }],
      ['an invalid date', { createdAt: new Date(Number.NaN) }],
      ['a patient id instead of a pseudonym', { pseudonym: 'MRN 0042' }],
      ['another organisation', { organisationId: 'org-2' }],
      ['a reading of another patient', { observations: observations(2, OTHER_PSEUDONYM) }],
      [
        'a reading of another device',
        { observations: observations(2, PSEUDONYM, OTHER_DEVICE_ID) },
      ],
    ] as const) {
      it(`refuses ${name} with ERR_PROTECT_PARAMETERS_INVALID`, async () => {
        await assert.rejects(
          protectBatch(batchInput(world, overrides)),
          hasCode('ERR_PROTECT_PARAMETERS_INVALID'),
        );
      });
    }
  });
});
