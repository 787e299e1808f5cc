import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attestationMessage } from '../../src/attestation/index.js';
import { parseCsr } from '../../src/pki/index.js';
import { systemContext } from '@vigil/server';
import { TestApp, createTempDir, type TempDir } from '@vigil/testkit';
import {
  base64url,
  fakeVendor,
  GENUINE_SERIAL,
  type FakeChip,
  type FakeVendor,
} from '../attestation/fake-vendor.js';
import { opensslCsr } from './wire.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * Genuine-hardware attestation at enrolment: a model that requires it only
 * enrols devices whose secure element chains to a trusted vendor root, is in
 * a batch manifest, and signs a fresh, single-use server nonce bound to the
 * enrolment key. Driven through the EST routes with `inject()`.
 */
describe('attested enrolment', () => {
  let t: TestApp;
  let dir: TempDir;
  let organisationId: string;
  let vendor: FakeVendor;
  let n = 0;

  before(async () => {
    t = await TestApp.create();
    dir = await createTempDir('vigil-attest-');
    ({ organisationId } = await t.setup());
    await t.services.deviceCas.initialise(
      OPERATOR,
      organisationId,
      'a long root passphrase here',
      systemContext(),
    );
    vendor = await fakeVendor();
    await t.services.enrolment.putModel(
      OPERATOR,
      organisationId,
      'infusion-hub',
      { attestationRequired: true, vendorRootsPem: [vendor.root.pem] },
      systemContext(),
    );
    await t.services.enrolment.addBatch(
      OPERATOR,
      organisationId,
      'infusion-hub',
      { batch: 'B-2026-01', serials: [GENUINE_SERIAL] },
      systemContext(),
    );
  });
  after(async () => {
    await t.close();
    await dir.remove();
  });

  async function token(): Promise<string> {
    return (
      await t.services.enrolment.createToken(
        OPERATOR,
        organisationId,
        { name: 'line 1', model: 'infusion-hub', count: 1, expiresInHours: 1 },
        systemContext(),
      )
    ).token;
  }

  async function nonceFor(enrolmentToken: string): Promise<string> {
    const answer = await t.app.inject({
      method: 'POST',
      url: '/.well-known/est/vigil/attestation-nonce',
      headers: { authorization: `Bearer ${enrolmentToken}` },
    });
    assert.equal(answer.statusCode, 200, answer.body);
    return answer.json<{ nonce: string }>().nonce;
  }

  async function enrol(
    enrolmentToken: string,
    evidence?: { chip: FakeChip; nonce: string; signFor?: Uint8Array },
  ) {
    const csr = opensslCsr(dir.path, `hub${++n}`, `/serialNumber=HUB-${n}/CN=infusion-hub`);
    const headers: Record<string, string> = {
      'content-type': 'application/pkcs10',
      authorization: `Bearer ${enrolmentToken}`,
    };
    if (evidence) {
      const spki = evidence.signFor ?? (await parseCsr(csr.csrDer)).publicKeySpkiDer;
      const signature = await evidence.chip.sign(attestationMessage(evidence.nonce, spki));
      headers['x-vigil-attestation-chain'] = Buffer.from(evidence.chip.chainPem).toString('base64');
      headers['x-vigil-attestation-nonce'] = evidence.nonce;
      headers['x-vigil-attestation-signature'] = base64url(signature);
    }
    return t.app.inject({
      method: 'POST',
      url: '/.well-known/est/simpleenroll',
      headers,
      payload: csr.csrBase64,
    });
  }

  it('enrols a genuine chip from the manifest and marks the device attested', async () => {
    const enrolmentToken = await token();
    const answer = await enrol(enrolmentToken, {
      chip: await vendor.chip(),
      nonce: await nonceFor(enrolmentToken),
    });
    assert.equal(answer.statusCode, 200, answer.body);
    const device = await t.store.getDevice(String(answer.headers['x-vigil-device-id']));
    assert.equal(device?.hardwareAttested, true);
  });

  it('refuses a device without evidence with ERR_ATTESTATION_REQUIRED', async () => {
    const answer = await enrol(await token());
    assert.equal(answer.json<{ code: string }>().code, 'ERR_ATTESTATION_REQUIRED');
  });

  it('refuses a chain from an untrusted (rogue) vendor with an identical name', async () => {
    const enrolmentToken = await token();
    const rogue = await fakeVendor();
    const answer = await enrol(enrolmentToken, {
      chip: await rogue.chip(),
      nonce: await nonceFor(enrolmentToken),
    });
    assert.equal(answer.json<{ code: string }>().code, 'ERR_ATTESTATION_UNTRUSTED_CHAIN');
  });

  it('refuses a genuine chip whose serial is in no batch manifest', async () => {
    const enrolmentToken = await token();
    const answer = await enrol(enrolmentToken, {
      chip: await vendor.chip({ serialHex: 'FFEEDDCCBBAA998877' }),
      nonce: await nonceFor(enrolmentToken),
    });
    assert.equal(answer.json<{ code: string }>().code, 'ERR_ATTESTATION_UNKNOWN_SERIAL');
  });

  it('refuses a replayed nonce and one that was never issued', async () => {
    const enrolmentToken = await token();
    const chip = await vendor.chip();
    const nonce = await nonceFor(enrolmentToken);
    assert.equal((await enrol(enrolmentToken, { chip, nonce })).statusCode, 200);
    const again = await token();
    assert.equal(
      (await enrol(again, { chip, nonce })).json<{ code: string }>().code,
      'ERR_ATTESTATION_NONCE',
    );
    assert.equal(
      (await enrol(again, { chip, nonce: base64url(new Uint8Array(32).fill(7)) })).json<{
        code: string;
      }>().code,
      'ERR_ATTESTATION_NONCE',
    );
  });

  it('refuses a stale nonce (older than five minutes)', async () => {
    const enrolmentToken = await token();
    const nonce = await nonceFor(enrolmentToken);
    t.clock.advance(5 * 60_000 + 1);
    assert.equal(
      (await enrol(enrolmentToken, { chip: await vendor.chip(), nonce })).json<{ code: string }>()
        .code,
      'ERR_ATTESTATION_NONCE',
    );
  });

  it('refuses a signature bound to another enrolment key', async () => {
    const enrolmentToken = await token();
    const other = opensslCsr(dir.path, 'other-key', '/CN=x');
    const answer = await enrol(enrolmentToken, {
      chip: await vendor.chip(),
      nonce: await nonceFor(enrolmentToken),
      signFor: (await parseCsr(other.csrDer)).publicKeySpkiDer,
    });
    assert.equal(answer.json<{ code: string }>().code, 'ERR_ATTESTATION_SIGNATURE');
  });

  it('records failed attestations as audit events, and no refusal uses up the token', async () => {
    const events = (await t.store.listAllAuditEvents(0, 1000)).filter(
      (e) => e.type === 'device.attestation-failed',
    );
    const codes = new Set(events.map((e) => e.details?.['code']));
    for (const code of [
      'ERR_ATTESTATION_REQUIRED',
      'ERR_ATTESTATION_UNTRUSTED_CHAIN',
      'ERR_ATTESTATION_UNKNOWN_SERIAL',
      'ERR_ATTESTATION_NONCE',
      'ERR_ATTESTATION_SIGNATURE',
    ]) {
      assert.ok(codes.has(code), code);
    }
    const tokens = await t.store.listEnrolmentTokens(organisationId);
    assert.equal(
      tokens.filter((x) => x.usesRemaining === 0).length,
      2,
      'only the two successful enrolments used a token',
    );
  });
});
