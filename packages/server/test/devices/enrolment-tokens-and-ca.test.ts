import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import { TestApp, createTempDir, type TempDir } from '@vigil/testkit';
import { certificateFacts } from '../../src/pki/index.js';
import { opensslCsr } from './wire.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/** Token lifetime and revocation, and device CA creation and rotation, on a manual clock. */
describe('enrolment tokens and the device CA', () => {
  let t: TestApp;
  let dir: TempDir;
  let organisationId: string;
  let rootKey: string;
  const passphrase = randomBytes(24).toString('base64url');
  let n = 0;

  before(async () => {
    t = await TestApp.create();
    dir = await createTempDir('vigil-tokens-');
    ({ organisationId } = await t.setup());
    rootKey = (
      await t.services.deviceCas.initialise(OPERATOR, organisationId, passphrase, systemContext())
    ).encryptedRootKeyPem;
  });
  after(async () => {
    await t.close();
    await dir.remove();
  });

  const token = async (hours = 1) =>
    (
      await t.services.enrolment.createToken(
        OPERATOR,
        organisationId,
        { name: 'n', model: 'gw', count: 1, expiresInHours: hours },
        systemContext(),
      )
    ).token;

  const enrol = (enrolmentToken: string) => {
    const csr = opensslCsr(dir.path, `d${++n}`, `/serialNumber=SN-${n}/CN=gw`);
    return t.app.inject({
      method: 'POST',
      url: '/.well-known/est/simpleenroll',
      headers: {
        'content-type': 'application/pkcs10',
        authorization: `Basic ${Buffer.from(`device:${enrolmentToken}`).toString('base64')}`,
      },
      payload: csr.csrBase64,
    });
  };

  describe('when an enrolment token', () => {
    it('has expired, it is refused with ERR_ENROLMENT_TOKEN_INVALID', async () => {
      const expiring = await token(1);
      t.clock.advance(3_600_000);
      const answer = await enrol(expiring);
      assert.equal(answer.statusCode, 401);
      assert.equal(answer.json<{ code: string }>().code, 'ERR_ENROLMENT_TOKEN_INVALID');
    });

    it('was revoked, it is refused', async () => {
      const revoked = await token();
      const [row] = await t.store.listEnrolmentTokens(organisationId);
      await t.services.enrolment.revokeToken(OPERATOR, organisationId, row!.id, systemContext());
      assert.equal(
        (await enrol(revoked)).json<{ code: string }>().code,
        'ERR_ENROLMENT_TOKEN_INVALID',
      );
    });

    it('is missing, EST clients are told to authenticate (RFC 7030 §3.2.3)', async () => {
      const answer = await t.app.inject({
        method: 'POST',
        url: '/.well-known/est/simpleenroll',
        headers: { 'content-type': 'application/pkcs10' },
        payload: 'AAAA',
      });
      assert.equal(answer.statusCode, 401);
      assert.match(String(answer.headers['www-authenticate']), /^Basic realm=/);
    });

    it('is stored only as a digest', async () => {
      const secret = await token();
      const rows = await t.store.listEnrolmentTokens(organisationId);
      assert.ok(rows.every((r) => !r.tokenHash.includes(secret)));
      assert.ok(rows.some((r) => r.tokenHash.length > 20));
    });
  });

  describe('the device CA', () => {
    it('cannot be created twice', async () => {
      await assert.rejects(
        t.services.deviceCas.initialise(OPERATOR, organisationId, passphrase, systemContext()),
        { code: 'ERR_DEVICE_CA_EXISTS' },
      );
    });

    it('keeps its issuing key sealed at rest, never in clear', async () => {
      const ca = await t.store.getActiveDeviceCa(organisationId);
      assert.ok(ca);
      assert.ok(!ca.issuingKeySealed.includes('PRIVATE KEY'));
      assert.match(ca.issuingKeySealed, /^v1\./);
    });

    it('rotates its issuing CA with the offline root key; devices of the old CA keep working', async () => {
      const before = await t.store.getActiveDeviceCa(organisationId);
      const enrolledBefore = await enrol(await token());
      assert.equal(enrolledBefore.statusCode, 200);
      await assert.rejects(
        t.services.deviceCas.rotateIssuing(
          OPERATOR,
          organisationId,
          rootKey,
          'not the passphrase at all',
          systemContext(),
        ),
        { code: 'ERR_CA_PASSPHRASE_WRONG' },
      );
      const rotated = await t.services.deviceCas.rotateIssuing(
        OPERATOR,
        organisationId,
        rootKey,
        passphrase,
        systemContext(),
      );
      assert.notEqual(rotated.id, before?.id);
      assert.equal(rotated.rootCertPem, before?.rootCertPem);
      const trusted = await t.services.deviceCas.trustedCertificates();
      assert.ok(
        trusted.includes(before!.issuingCertPem) && trusted.includes(rotated.issuingCertPem),
        'both issuing CAs trusted',
      );
      const enrolledAfter = await enrol(await token());
      assert.equal(enrolledAfter.statusCode, 200);
      const chain = await t.services.deviceCas.chain(organisationId);
      assert.equal(
        certificateFacts(chain[0]!).fingerprintSha256,
        certificateFacts(rotated.issuingCertPem).fingerprintSha256,
      );
    });

    it('refuses a root key of another CA', async () => {
      const other = await t.store.createOrganisation({
        kind: 'manufacturer',
        name: 'Other Maker',
        manufacturerId: null,
        now: t.clock.now(),
      });
      const otherKey = (
        await t.services.deviceCas.initialise(OPERATOR, other.id, passphrase, systemContext())
      ).encryptedRootKeyPem;
      await assert.rejects(
        t.services.deviceCas.rotateIssuing(
          OPERATOR,
          organisationId,
          otherKey,
          passphrase,
          systemContext(),
        ),
        { code: 'ERR_CA_INVALID' },
      );
    });
  });
});
