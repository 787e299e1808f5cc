import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  generateKeyPair,
  generateSigningKeyPair,
  unwrapTeamKey,
  openPseudonymSecretForStaff,
} from '@vigil/protect';
import {
  TestAgent,
  TestApp,
  forEachEngine,
  type StoreTarget,
  type TestCareOrganisation,
} from '@vigil/testkit';
import { careKeys, wrappedPseudonymSecret, type CareKeys } from './telemetry-kit.js';

/**
 * docs/telemetry.md, "Operator API", and ADR 0011 §2: the server relays the
 * care organisation's signed manifest and wrapped keys. It pins the manifest
 * signing key at the first upload, and checks headers, never contents.
 */
forEachEngine('protected telemetry: key distribution', (engine) => {
  let target: StoreTarget;
  let t: TestApp;
  let care: TestCareOrganisation;
  let keys: CareKeys;
  let admin: TestAgent;
  let clinician: TestAgent;
  let base: string;

  before(async () => {
    target = await engine.createTarget({ shared: true });
    t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    const { organisationId } = await t.setup();
    care = await t.careOrganisation(organisationId);
    keys = await careKeys(care.organisationId);
    admin = TestAgent.withToken(t.app, care.adminToken);
    clinician = TestAgent.withToken(t.app, care.clinicianToken);
    base = `/api/v1/organisations/${care.organisationId}`;
  });
  after(async () => {
    await t.close();
    await target.dispose();
  });

  const publish = (jws: string, signingPublicJwk: unknown = keys.signing.publicJwk) =>
    admin.request('PUT', `${base}/key-manifest`, { jws, signingPublicJwk });
  const now = () => new Date(t.clock.now());

  describe('member keys', () => {
    it('registers the caller’s own key and lists members with who they are', async () => {
      const answer = await clinician.request('PUT', `${base}/member-keys/me`, {
        publicJwk: keys.member.publicJwk,
      });
      assert.equal(answer.status, 200, answer.code);
      assert.equal(answer.json<{ kid: string }>().kid, keys.member.kid);
      const replaced = await generateKeyPair();
      await clinician.request('PUT', `${base}/member-keys/me`, { publicJwk: replaced.publicJwk });
      const listed = await admin.get(`${base}/member-keys`);
      assert.equal(listed.status, 200);
      const members = listed.json<{
        members: Array<{ userId: string; email: string; role: string; kid: string }>;
      }>().members;
      assert.deepEqual(
        members.map((m) => [m.userId, m.email, m.role, m.kid]),
        [[care.clinician.id, care.clinician.email, 'clinician', replaced.kid]],
      );
    });

    it('refuses a private key, a point off the curve and another curve', async () => {
      const { privateJwk } = await generateKeyPair();
      const offCurve = { ...keys.member.publicJwk, y: keys.member.publicJwk.x };
      for (const publicJwk of [privateJwk, offCurve, { ...keys.member.publicJwk, crv: 'P-384' }]) {
        const answer = await clinician.request('PUT', `${base}/member-keys/me`, { publicJwk });
        assert.equal(answer.status, 400);
        assert.equal(answer.code, 'ERR_REQUEST_INVALID');
      }
    });
  });

  describe('the key manifest', () => {
    it('answers ERR_MANIFEST_NOT_FOUND before the first', async () => {
      const answer = await clinician.get(`${base}/key-manifest`);
      assert.equal(answer.status, 404);
      assert.equal(answer.code, 'ERR_MANIFEST_NOT_FOUND');
    });

    it('pins the signing key of the first upload and reports its RFC 7638 fingerprint', async () => {
      const answer = await publish(await keys.manifest(now()));
      assert.equal(answer.status, 200, answer.code);
      const current = (await clinician.get(`${base}/key-manifest`)).json<{
        version: number;
        epoch: number;
        signingKeyFingerprint: string;
      }>();
      assert.equal(current.version, 1);
      assert.equal(current.epoch, 1);
      assert.equal(current.signingKeyFingerprint, keys.signing.kid);
    });

    it('refuses a manifest signed by another key, whatever key the upload names', async () => {
      const intruder = await generateSigningKeyPair();
      const forged = await keys.manifest(now(), {}, intruder.privateJwk);
      const claimingIntruder = await publish(forged, intruder.publicJwk);
      assert.equal(claimingIntruder.status, 403);
      assert.equal(claimingIntruder.code, 'ERR_MANIFEST_UNKNOWN_KEY');
      const claimingPinned = await publish(forged);
      assert.equal(claimingPinned.status, 403);
      assert.ok(
        ['ERR_MANIFEST_UNKNOWN_KEY', 'ERR_MANIFEST_SIGNATURE'].includes(claimingPinned.code ?? ''),
        claimingPinned.code,
      );
      const events = await t.store.listAuditEvents({
        organisationId: care.organisationId,
        limit: 1000,
      });
      assert.equal(events.filter((e) => e.type === 'telemetry.manifest.refused').length, 2);
    });

    it('refuses an older or equal version with ERR_MANIFEST_ROLLBACK, and accepts a higher one', async () => {
      keys.version = 1;
      const replay = await publish(await keys.manifest(now()));
      assert.equal(replay.status, 409);
      assert.equal(replay.code, 'ERR_MANIFEST_ROLLBACK');
      keys.version = 5;
      assert.equal((await publish(await keys.manifest(now()))).status, 200);
      keys.version = 3;
      assert.equal((await publish(await keys.manifest(now()))).code, 'ERR_MANIFEST_ROLLBACK');
      const current = (await clinician.get(`${base}/key-manifest`)).json<{ version: number }>();
      assert.equal(current.version, 5);
    });

    it('refuses a manifest of another organisation, from the future, or that is no JWS', async () => {
      keys.version = 10;
      const otherOrganisation = await publish(
        await keys.manifest(now(), { organisationId: crypto.randomUUID() }),
      );
      assert.equal(otherOrganisation.code, 'ERR_MANIFEST_ORGANISATION');
      const future = await publish(await keys.manifest(new Date(t.clock.now() + 3_600_000)));
      assert.equal(future.code, 'ERR_MANIFEST_NOT_YET_VALID');
      const garbage = await publish('not.a.jws');
      assert.equal(garbage.status, 400);
      assert.match(garbage.code ?? '', /^ERR_MANIFEST_/);
    });

    it('is published by keys:manage only: a clinician cannot', async () => {
      const answer = await clinician.request('PUT', `${base}/key-manifest`, {
        jws: await keys.manifest(now()),
        signingPublicJwk: keys.signing.publicJwk,
      });
      assert.equal(answer.code, 'ERR_AUTH_TOKEN_SCOPE');
    });
  });

  describe('team keys and the pseudonym secret', () => {
    it('stores an epoch’s wrapped team key, which a member can unwrap from the list', async () => {
      const stored = await admin.request('PUT', `${base}/team-keys/1`, { jwe: keys.epoch.wrapped });
      assert.equal(stored.status, 200, stored.code);
      const listed = (await clinician.get(`${base}/team-keys`)).json<{
        teamKeys: Array<{ epoch: number; jwe: unknown }>;
      }>().teamKeys;
      assert.equal(listed.length, 1);
      const team = await unwrapTeamKey(listed[0]?.jwe, keys.member.privateJwk, {
        organisationId: care.organisationId,
        epoch: 1,
      });
      assert.equal(team.x, keys.epoch.teamKey.privateJwk.x);
    });

    it('refuses a team key filed under another epoch, another organisation or another typ', async () => {
      const wrongEpoch = await admin.request('PUT', `${base}/team-keys/2`, {
        jwe: keys.epoch.wrapped,
      });
      assert.equal(wrongEpoch.code, 'ERR_PROTECT_KEY_MISMATCH');
      const other = await careKeys(crypto.randomUUID());
      const wrongOrganisation = await admin.request('PUT', `${base}/team-keys/1`, {
        jwe: other.epoch.wrapped,
      });
      assert.equal(wrongOrganisation.code, 'ERR_PROTECT_KEY_MISMATCH');
      const wrongTyp = await admin.request('PUT', `${base}/team-keys/1`, {
        jwe: await wrappedPseudonymSecret(keys),
      });
      assert.equal(wrongTyp.code, 'ERR_PROTECT_KEY_MISMATCH');
      const notJwe = await admin.request('PUT', `${base}/team-keys/1`, {
        jwe: { ...keys.epoch.wrapped, protected: 'bm90IGpzb24' },
      });
      assert.equal(notJwe.code, 'ERR_WRAPPED_KEY_MALFORMED');
      const extraMember = await admin.request('PUT', `${base}/team-keys/1`, {
        jwe: { ...keys.epoch.wrapped, plaintext: 'x' },
      });
      assert.equal(extraMember.code, 'ERR_REQUEST_INVALID');
    });

    it('stores the staff copy of the pseudonym secret, which opens with the team key', async () => {
      assert.equal((await clinician.get(`${base}/pseudonym-secret`)).code, 'ERR_NOT_FOUND');
      const stored = await admin.request('PUT', `${base}/pseudonym-secret`, {
        jwe: await wrappedPseudonymSecret(keys),
      });
      assert.equal(stored.status, 200, stored.code);
      assert.equal(stored.json<{ epoch: number }>().epoch, 1);
      const copy = (await clinician.get(`${base}/pseudonym-secret`)).json<{ jwe: unknown }>();
      const secret = await openPseudonymSecretForStaff(copy.jwe, keys.epoch.teamKey.privateJwk, {
        organisationId: care.organisationId,
        epoch: 1,
      });
      assert.deepEqual(secret, keys.pseudonymSecret);
    });

    it('audits every store', async () => {
      const events = await t.store.listAuditEvents({
        organisationId: care.organisationId,
        limit: 1000,
      });
      const types = new Set(events.map((e) => e.type));
      for (const type of [
        'telemetry.member-key.registered',
        'telemetry.manifest.published',
        'telemetry.team-key.stored',
        'telemetry.pseudonym-secret.stored',
      ] as const) {
        assert.ok(types.has(type), type);
      }
    });
  });
});
