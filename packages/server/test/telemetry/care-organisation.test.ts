import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemContext } from '@vigil/server';
import { TestApp, forEachEngine, type StoreTarget, type TestAgent } from '@vigil/testkit';
import { enrolGateway } from './telemetry-kit.js';

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * docs/telemetry.md, "Ownership": an enrolment token may name a care
 * organisation the manufacturer serves; the devices it enrols keep it, and
 * their readings belong to it.
 */
forEachEngine('protected telemetry: which care organisation a device reports to', (engine) => {
  let target: StoreTarget;
  let t: TestApp;
  let manufacturerId: string;
  let servedId: string;
  let maker: TestAgent;
  let tokens: string;

  before(async () => {
    target = await engine.createTarget({ shared: true });
    t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    t.clock.set(Date.now());
    const setup = await t.setup();
    manufacturerId = setup.organisationId;
    maker = await t.signIn(setup.admin);
    servedId = (await t.careOrganisation(manufacturerId)).organisationId;
    await t.createEnrolmentToken(manufacturerId); // creates the device CA
    tokens = `/api/v1/organisations/${manufacturerId}/enrolment-tokens`;
  });
  after(async () => {
    await t.close();
    await target.dispose();
  });

  const body = (careOrganisationId?: string | null) => ({
    name: 'ward 7 gateways',
    model: 'gateway-1',
    count: 2,
    expiresInHours: 2,
    ...(careOrganisationId === undefined ? {} : { careOrganisationId }),
  });

  describe('when an enrolment token names a care organisation', () => {
    it('accepts one the manufacturer serves and shows it on the token', async () => {
      const created = await maker.post(tokens, body(servedId));
      assert.equal(created.status, 201, created.code);
      assert.equal(created.json<{ careOrganisationId: string }>().careOrganisationId, servedId);
      const listed = (await maker.get(tokens)).json<{
        tokens: Array<{ id: string; careOrganisationId: string | null }>;
      }>().tokens;
      const id = created.json<{ id: string }>().id;
      assert.equal(listed.find((x) => x.id === id)?.careOrganisationId, servedId);
    });

    it('refuses one it does not serve with ERR_CARE_ORGANISATION_NOT_SERVED', async () => {
      const unrelated = await t.store.createOrganisation({
        kind: 'care',
        name: 'Elsewhere',
        manufacturerId: null,
        now: t.clock.now(),
      });
      for (const id of [unrelated.id, manufacturerId, crypto.randomUUID()]) {
        const answer = await maker.post(tokens, body(id));
        assert.equal(answer.status, 422, id);
        assert.equal(answer.code, 'ERR_CARE_ORGANISATION_NOT_SERVED', id);
      }
      assert.equal((await maker.post(tokens, body('not-a-uuid'))).code, 'ERR_REQUEST_INVALID');
    });

    it('names none when left out or null', async () => {
      for (const careOrganisationId of [undefined, null]) {
        const created = await maker.post(tokens, body(careOrganisationId));
        assert.equal(created.status, 201);
        assert.equal(created.json<{ careOrganisationId: null }>().careOrganisationId, null);
      }
    });
  });

  describe('when a device enrols with it', () => {
    it('keeps the care organisation, and the registry shows it', async () => {
      const listener = await t.deviceListener();
      const assigned = await enrolGateway(
        t,
        listener,
        await t.createEnrolmentToken(manufacturerId, { careOrganisationId: servedId }),
      );
      const unassigned = await enrolGateway(
        t,
        listener,
        await t.createEnrolmentToken(manufacturerId),
      );
      try {
        const one = await maker.get(
          `/api/v1/organisations/${manufacturerId}/devices/${assigned.deviceId}`,
        );
        assert.equal(one.json<{ careOrganisationId: string }>().careOrganisationId, servedId);
        const all = (await maker.get(`/api/v1/organisations/${manufacturerId}/devices`)).json<{
          devices: Array<{ id: string; careOrganisationId: string | null }>;
        }>().devices;
        assert.equal(all.find((d) => d.id === unassigned.deviceId)?.careOrganisationId, null);
        const events = await t.store.listAuditEvents({
          organisationId: manufacturerId,
          limit: 1000,
        });
        const enrolled = events.find(
          (e) => e.type === 'device.enrolled' && e.target?.id === assigned.deviceId,
        );
        assert.equal(enrolled?.details?.['careOrganisationId'], servedId);
      } finally {
        assigned.close();
        unassigned.close();
      }
    });

    it('is checked by the service too, not only the route', async () => {
      await assert.rejects(
        t.services.enrolment.createToken(
          OPERATOR,
          manufacturerId,
          { ...body(), careOrganisationId: manufacturerId },
          systemContext('test'),
        ),
        { code: 'ERR_CARE_ORGANISATION_NOT_SERVED' },
      );
    });
  });
});
