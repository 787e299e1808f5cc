import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '@vigil/core/errors';
import { AgentError, isFinalBatchRefusal, sameFingerprint } from '@vigil/agent';
import {
  UPLOADED_DATA_KEYS_KEPT,
  parseState,
  pruneDataKeys,
  serialiseState,
  type StoredDataKey,
  type TelemetryState,
} from '../../src/telemetry/telemetry-state.js';

describe('isFinalBatchRefusal', () => {
  const server = (code: string, status: number) =>
    new AgentError(code as `ERR_${string}`, code, { status });

  it('is final for refusals of the bytes: conflict, binding, malformed, too large, unknown key', () => {
    for (const [code, status] of [
      ['ERR_BATCH_CONFLICT', 409],
      ['ERR_BATCH_BINDING', 422],
      ['ERR_DATA_KEY_UNKNOWN', 422],
      ['ERR_BATCH_MALFORMED', 400],
      ['ERR_BATCH_TOO_LARGE', 413],
      ['ERR_DATA_KEY_CONFLICT', 409],
      ['ERR_AGENT_HTTP_STATUS', 415],
      ['ERR_SOMETHING_NEW', 422],
    ] as const) {
      assert.equal(isFinalBatchRefusal(server(code, status)), true, code);
    }
    assert.equal(isFinalBatchRefusal(new VigilError('ERR_BATCH_MALFORMED', 'our own row')), true);
  });

  it('is transient for the network, the server being down, the device being held, throttling', () => {
    for (const [code, status] of [
      ['ERR_UNAVAILABLE', 503],
      ['ERR_AGENT_HTTP_STATUS', 502],
      ['ERR_DEVICE_QUARANTINED', 403],
      ['ERR_DEVICE_NOT_ASSIGNED', 409],
      ['ERR_RATE_LIMITED', 429],
      ['ERR_DEVICE_UNKNOWN', 401],
    ] as const) {
      assert.equal(isFinalBatchRefusal(server(code, status)), false, code);
    }
    assert.equal(isFinalBatchRefusal(new AgentError('ERR_AGENT_NETWORK', 'reset')), false);
    assert.equal(isFinalBatchRefusal(new Error('anything')), false);
  });
});

describe('sameFingerprint', () => {
  const thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
  const hex = Buffer.from(thumbprint, 'base64url').toString('hex');

  it('accepts the base64url thumbprint and the same bytes in hex, any case, with colons', () => {
    for (const published of [
      thumbprint,
      ` ${thumbprint}= `,
      hex,
      hex.toUpperCase(),
      hex.match(/../g)?.join(':') ?? '',
    ]) {
      assert.equal(sameFingerprint(published, thumbprint), true, published);
    }
  });

  it('refuses anything else', () => {
    for (const published of ['', thumbprint.slice(1), `${hex.slice(0, 62)}00`, 'NzbLsXh8']) {
      assert.equal(sameFingerprint(published, thumbprint), false, published);
    }
  });
});

describe('the stored telemetry state', () => {
  const key = (kid: string, uploaded: boolean): StoredDataKey => ({
    kid,
    epoch: 1,
    jwe: { protected: 'e30', iv: 'AA', ciphertext: 'AA', tag: 'AA', recipients: [] },
    uploaded,
  });

  it('round-trips', () => {
    const state: TelemetryState = {
      pins: {
        organisationId: 'org-1',
        signingPublicJwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) },
        lastAcceptedVersion: 3,
      },
      manifestJws: 'a.b.c',
      pseudonymTable: 'a.b.c.d.e',
      staffCopy: { entries: 2, recipients: '1:a.b' },
      dataKeys: [key('dk_1', true), key('dk_2', false)],
    };
    assert.deepEqual(parseState(serialiseState(state)), state);
  });

  it('refuses a record that is not one, with ERR_AGENT_STORAGE_CORRUPT', () => {
    for (const text of ['', '[]', '{"format":2}', '{"format":1,"pins":null,"dataKeys":{}}']) {
      assert.throws(
        () => parseState(text),
        (e) => e instanceof AgentError && e.code === 'ERR_AGENT_STORAGE_CORRUPT',
        text,
      );
    }
  });

  it('keeps every data key not yet uploaded and the newest uploaded ones', () => {
    const keys = [
      key('dk_pending_old', false),
      ...Array.from({ length: UPLOADED_DATA_KEYS_KEPT + 3 }, (_, i) => key(`dk_${i}`, true)),
      key('dk_pending_new', false),
    ];
    const kept = pruneDataKeys(keys).map((k) => k.kid);
    assert.equal(kept.length, UPLOADED_DATA_KEYS_KEPT + 2);
    assert.ok(kept.includes('dk_pending_old') && kept.includes('dk_pending_new'));
    assert.ok(!kept.includes('dk_0') && !kept.includes('dk_2') && kept.includes('dk_3'));
  });
});
