import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultDeviceUrl,
  parseEnrolmentToken,
  parseHttpsOrigin,
  parsePseudonymSecret,
  positiveNumber,
} from '../../src/simulate/simulator-inputs.js';

describe('the simulator’s inputs', () => {
  describe('the pseudonym secret file', () => {
    it('is read as one base64url line of at least 32 bytes, as `vigil keys setup` writes it', () => {
      const secret = new Uint8Array(32).map((_, i) => i * 7);
      const line = Buffer.from(secret).toString('base64url');
      assert.deepEqual(parsePseudonymSecret(`${line}\n`), secret);
      assert.deepEqual(parsePseudonymSecret(`${line}\r\nignored\n`), secret);
    });

    it('is refused when short, padded, standard base64 or not canonical', () => {
      assert.equal(parsePseudonymSecret(Buffer.alloc(31).toString('base64url')), undefined);
      assert.equal(parsePseudonymSecret(Buffer.alloc(32).toString('base64')), undefined);
      assert.equal(parsePseudonymSecret('too short'), undefined);
      assert.equal(parsePseudonymSecret(''), undefined);
      // 43 characters whose last one carries bits base64url would never set.
      assert.equal(parsePseudonymSecret(`${'A'.repeat(42)}B`), undefined);
    });
  });

  it('takes the first line of a token file, and nothing from an empty one', () => {
    assert.equal(parseEnrolmentToken('vgl_enrol_abc\n'), 'vgl_enrol_abc');
    assert.equal(parseEnrolmentToken('\n'), undefined);
  });

  it('accepts https URLs only, and puts the device listener on port 8444 by default', () => {
    assert.equal(parseHttpsOrigin('https://vigil.example:8443/x'), 'https://vigil.example:8443');
    assert.throws(() => parseHttpsOrigin('http://vigil.example'));
    assert.throws(() => parseHttpsOrigin('vigil.example'));
    assert.equal(defaultDeviceUrl('https://vigil.example:8443'), 'https://vigil.example:8444');
    assert.equal(defaultDeviceUrl('https://vigil.example'), 'https://vigil.example:8444');
  });

  it('takes decimal rates above zero up to the limit', () => {
    const rate = positiveNumber(1_000);
    assert.equal(rate('0.5'), 0.5);
    assert.equal(rate('1000'), 1_000);
    for (const bad of ['0', '-1', '1e3', 'abc', '1001', '']) assert.throws(() => rate(bad), bad);
  });
});
