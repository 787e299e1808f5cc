import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hardwareSerialAllowList, normaliseHardwareSerial } from '../../src/attestation/index.js';
import { hardwareSerialOf } from '../../src/attestation/hardware-serial.js';
import { assertRefused, issue } from './fake-vendor.js';

describe('hardware serial numbers', () => {
  describe('when a serial is normalised', () => {
    const cases: [string, string][] = [
      ['sn0123f1a2b3c4d5e601', '0123F1A2B3C4D5E601'],
      ['SN 0123 F1A2 B3C4 D5E6 01', '0123F1A2B3C4D5E601'],
      ['0123f1a2b3c4d5e601', '0123F1A2B3C4D5E601'],
      ['pump-0042', 'PUMP-0042'],
      ['SN-12', 'SN-12'],
      ['snow', 'SNOW'],
      ['\t ab\ncd ', 'ABCD'],
    ];
    for (const [raw, normal] of cases) {
      it(`turns ${JSON.stringify(raw)} into ${normal}`, () => {
        assert.equal(normaliseHardwareSerial(raw), normal);
      });
    }

    it('builds an allow-list from manifest entries in the same normal form, skipping blanks', () => {
      const list = hardwareSerialAllowList(['0123abcd', 'sn0123ABCD', ' ', 'pump-1']);
      assert.deepEqual([...list].sort(), ['0123ABCD', 'PUMP-1']);
    });
  });

  describe('when it is read from a leaf certificate', () => {
    const leaf = async (subject: Record<string, string[]>[]) =>
      (await issue({ subject, ca: false })).cert;

    it('prefers the subject serialNumber attribute over the CN', async () => {
      const cert = await leaf([{ CN: ['sn0123AA'] }, { '2.5.4.5': ['xyz 9'] }]);
      assert.equal(hardwareSerialOf(cert), 'XYZ9');
    });

    it('falls back to a Trust&GO style CN', async () => {
      assert.equal(hardwareSerialOf(await leaf([{ CN: ['sn0123aa55'] }])), '0123AA55');
    });

    it('refuses a subject with two different serial numbers with ERR_ATTESTATION_UNKNOWN_SERIAL', async () => {
      const cert = await leaf([{ '2.5.4.5': ['A1'] }, { '2.5.4.5': ['B2'] }]);
      await assertRefused((async () => hardwareSerialOf(cert))(), 'ERR_ATTESTATION_UNKNOWN_SERIAL');
    });

    it('refuses a subject without serialNumber or CN with ERR_ATTESTATION_UNKNOWN_SERIAL', async () => {
      const cert = await leaf([{ O: ['Acme'] }]);
      await assertRefused((async () => hardwareSerialOf(cert))(), 'ERR_ATTESTATION_UNKNOWN_SERIAL');
    });

    it('refuses a serial longer than 64 characters with ERR_ATTESTATION_UNKNOWN_SERIAL', async () => {
      const cert = await leaf([{ CN: ['A'.repeat(65)] }]);
      await assertRefused((async () => hardwareSerialOf(cert))(), 'ERR_ATTESTATION_UNKNOWN_SERIAL');
    });
  });
});
