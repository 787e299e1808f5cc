import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBatch, unwrapDataKey, unwrapTeamKey, type P256PublicJwk } from '@vigil/protect';
import { systemContext } from '@vigil/server';
import {
  TestAgent,
  TestApp,
  forEachEngine,
  type StoreTarget,
  type TestCareOrganisation,
  type TestDeviceListener,
} from '@vigil/testkit';
import {
  batchOf,
  careKeys,
  dataKeyFor,
  enrolGateway,
  type CareKeys,
  type TestGateway,
} from './telemetry-kit.js';

interface BatchItem {
  id: string;
  deviceId: string;
  sequence: number;
  pseudonym: string;
  kid: string;
  epoch: number;
  from: number;
  to: number;
  jwe: string;
  devicePublicJwk: P256PublicJwk | null;
}
interface BatchPage {
  batches: BatchItem[];
  next: string | null;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * docs/telemetry.md, "Operator API": clinicians of the care organisation —
 * and nobody else — find ciphertext by patient pseudonym and time, page
 * through it, and open it on their own machine; retention deletes what is
 * older than the organisation's period, audited.
 */
forEachEngine('protected telemetry: reading, isolation and retention', (engine) => {
  let target: StoreTarget;
  let t: TestApp;
  let listener: TestDeviceListener;
  let manufacturerId: string;
  let care: TestCareOrganisation;
  let otherCare: TestCareOrganisation;
  let keys: CareKeys;
  let clinician: TestAgent;
  let base: string;
  const gateways: TestGateway[] = [];
  let p: string;
  let q: string;
  /** Readings start at whole hours from here; each batch spans two minutes. */
  let t0: number;

  async function gatewayOf(organisation: TestCareOrganisation, organisationKeys: CareKeys) {
    const gateway = await enrolGateway(
      t,
      listener,
      await t.createEnrolmentToken(manufacturerId, {
        careOrganisationId: organisation.organisationId,
      }),
    );
    gateways.push(gateway);
    const dataKey = await dataKeyFor(organisationKeys);
    const put = await gateway.call('PUT', `/device/v1/data-keys/${dataKey.kid}`, {
      jwe: dataKey.wrapped,
    });
    assert.equal(put.status, 201, put.text);
    let sequence = 0;
    return {
      gateway,
      dataKey,
      post: async (pseudonym: string, start: number) => {
        const jwe = await batchOf({
          gateway,
          dataKey,
          sequence: ++sequence,
          pseudonym,
          start: new Date(start),
        });
        const answer = await gateway.postBatch(jwe);
        assert.equal(answer.status, 201, answer.text);
      },
    };
  }

  async function allPages(query: string, limit: number): Promise<BatchItem[]> {
    const items: BatchItem[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const answer = await clinician.get(
        `${base}/batches?${query}&limit=${limit}${after ? `&after=${after}` : ''}`,
      );
      assert.equal(answer.status, 200, answer.code);
      const body = answer.json<BatchPage>();
      assert.ok(body.batches.length <= limit);
      items.push(...body.batches);
      after = body.next;
      if (after === null) return items;
    }
    throw new Error('paging never ended');
  }

  before(async () => {
    target = await engine.createTarget({ shared: true });
    t = await TestApp.create({
      databaseUrl: target.databaseUrl,
      ...(target.postgresSchema ? { postgresSchema: target.postgresSchema } : {}),
    });
    t.clock.set(Date.now());
    t0 = Math.floor((t.clock.now() - 200 * DAY) / HOUR) * HOUR;
    manufacturerId = (await t.setup()).organisationId;
    care = await t.careOrganisation(manufacturerId);
    otherCare = await t.careOrganisation(manufacturerId);
    keys = await careKeys(care.organisationId);
    listener = await t.deviceListener();
    clinician = TestAgent.withToken(t.app, care.clinicianToken);
    base = `/api/v1/organisations/${care.organisationId}`;
    p = await keys.pseudonym('MRN P');
    q = await keys.pseudonym('MRN Q');
    assert.equal(
      (
        await TestAgent.withToken(t.app, care.adminToken).request('PUT', `${base}/team-keys/1`, {
          jwe: keys.epoch.wrapped,
        })
      ).status,
      200,
    );

    // Patient p: 12 batches an hour apart; patient q: 5 batches two hours apart from 2:30, on
    // another gateway (no two batches start together, so the expected order is unique).
    const first = await gatewayOf(care, keys);
    const second = await gatewayOf(care, keys);
    for (let i = 1; i <= 12; i++) await first.post(p, t0 + i * HOUR);
    for (let i = 1; i <= 5; i++) await second.post(q, t0 + i * 2 * HOUR + HOUR / 2);
    // The other care organisation's readings, for isolation.
    const otherKeys = await careKeys(otherCare.organisationId);
    const foreign = await gatewayOf(otherCare, otherKeys);
    await foreign.post(await otherKeys.pseudonym('MRN P'), t0 + HOUR);
  });
  after(async () => {
    for (const g of gateways) g.close();
    await t.close();
    await target.dispose();
  });

  describe('GET batches', () => {
    it('pages through every batch oldest first, each once', async () => {
      const items = await allPages('', 5);
      assert.equal(items.length, 17);
      assert.equal(new Set(items.map((b) => b.id)).size, 17);
      const froms = items.map((b) => b.from);
      assert.deepEqual(
        froms,
        [...froms].sort((a, b) => a - b),
      );
      assert.equal(items[0]?.from, t0 + HOUR);
    });

    it('filters by pseudonym', async () => {
      const items = await allPages(`pseudonym=${p}`, 500);
      assert.equal(items.length, 12);
      assert.ok(items.every((b) => b.pseudonym === p));
      assert.deepEqual(
        items.map((b) => b.sequence),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
    });

    it('finds the batches whose readings overlap [from, to]', async () => {
      // p's batch 3 runs 3:00–3:02, so from = 3:01 still overlaps it; q's batch 2 is at 4:30.
      const from = new Date(t0 + 3 * HOUR + 60_000).toISOString();
      const to = new Date(t0 + 5 * HOUR).toISOString();
      const items = await allPages(`from=${from}&to=${to}`, 2);
      assert.deepEqual(
        items.map((b) => [b.pseudonym === p ? 'p' : 'q', b.sequence]),
        [
          ['p', 3],
          ['p', 4],
          ['q', 2],
          ['p', 5],
        ],
      );
    });

    it('refuses from after to, a date that is not ISO 8601, and a cursor it did not write', async () => {
      const late = new Date(t0 + 5 * HOUR).toISOString();
      const early = new Date(t0).toISOString();
      assert.equal(
        (await clinician.get(`${base}/batches?from=${late}&to=${early}`)).code,
        'ERR_REQUEST_INVALID',
      );
      assert.equal(
        (await clinician.get(`${base}/batches?from=yesterday`)).code,
        'ERR_REQUEST_INVALID',
      );
      assert.equal(
        (await clinician.get(`${base}/batches?after=bm9wZQ`)).code,
        'ERR_REQUEST_INVALID',
      );
      assert.equal((await clinician.get(`${base}/batches?limit=0`)).code, 'ERR_REQUEST_INVALID');
    });

    it('serves what a clinician opens with their own member key, and the device key to verify it', async () => {
      const [item] = await allPages(`pseudonym=${q}`, 1);
      assert.ok(item?.devicePublicJwk, 'the device certificate key');
      const teamKeys = (await clinician.get(`${base}/team-keys`)).json<{
        teamKeys: Array<{ epoch: number; jwe: unknown }>;
      }>().teamKeys;
      const team = await unwrapTeamKey(teamKeys[0]?.jwe, keys.member.privateJwk, {
        organisationId: care.organisationId,
        epoch: 1,
      });
      const wrapped = (await clinician.get(`${base}/data-keys?kid=${item.kid}`)).json<{
        dataKeys: Array<{ kid: string; epoch: number; deviceId: string; jwe: unknown }>;
      }>().dataKeys;
      assert.deepEqual(
        wrapped.map((k) => [k.kid, k.epoch, k.deviceId]),
        [[item.kid, 1, item.deviceId]],
      );
      const dataKey = await unwrapDataKey(wrapped[0]?.jwe, team, {
        organisationId: care.organisationId,
        epoch: 1,
        kid: item.kid,
      });
      const opened = await openBatch(item.jwe, {
        dataKeys: (kid) => (kid === dataKey.kid ? dataKey.key : undefined),
        deviceVerificationKey: () => item.devicePublicJwk ?? undefined,
        expected: { organisationId: care.organisationId, deviceId: item.deviceId, pseudonym: q },
      });
      assert.deepEqual(
        opened.observations.map((o) => o.valueQuantity?.value),
        [60, 61, 62],
      );
    });
  });

  describe('GET pseudonyms', () => {
    it('lists each pseudonym with its batch count and first and last reading', async () => {
      const answer = await clinician.get(`${base}/pseudonyms`);
      assert.equal(answer.status, 200, answer.code);
      const { pseudonyms, next } = answer.json<{
        pseudonyms: Array<{ pseudonym: string; batches: number; first: number; last: number }>;
        next: string | null;
      }>();
      assert.equal(next, null);
      const expected = [
        { pseudonym: p, batches: 12, first: t0 + HOUR, last: t0 + 12 * HOUR + 120_000 },
        { pseudonym: q, batches: 5, first: t0 + 2.5 * HOUR, last: t0 + 10.5 * HOUR + 120_000 },
      ].sort((a, b) => (a.pseudonym < b.pseudonym ? -1 : 1));
      assert.deepEqual(pseudonyms, expected);
      const paged = (await clinician.get(`${base}/pseudonyms?limit=1`)).json<{
        pseudonyms: Array<{ pseudonym: string }>;
        next: string;
      }>();
      const rest = (await clinician.get(`${base}/pseudonyms?after=${paged.next}`)).json<{
        pseudonyms: Array<{ pseudonym: string }>;
      }>();
      assert.deepEqual(
        [...paged.pseudonyms, ...rest.pseudonyms].map((x) => x.pseudonym),
        expected.map((x) => x.pseudonym),
      );
    });
  });

  describe('who may read', () => {
    it("keeps another care organisation's clinician out (ERR_NOT_FOUND)", async () => {
      const outsider = TestAgent.withToken(t.app, otherCare.clinicianToken);
      for (const path of ['batches', 'pseudonyms', 'pseudonym-tables', 'data-keys', 'team-keys']) {
        const answer = await outsider.get(`${base}/${path}`);
        assert.equal(answer.status, 404, path);
        assert.equal(answer.code, 'ERR_NOT_FOUND', path);
      }
      // …and its own list holds only its own readings.
      const own = (
        await outsider.get(`/api/v1/organisations/${otherCare.organisationId}/batches`)
      ).json<BatchPage>();
      assert.equal(own.batches.length, 1);
    });

    it("keeps the manufacturer's roles out, whatever their role there", async () => {
      for (const role of ['clinician', 'security-engineer', 'auditor'] as const) {
        const person = await t.addPerson(manufacturerId, role, `${role}-maker@maker.example`);
        const agent = TestAgent.withToken(t.app, await t.apiToken(person, manufacturerId));
        const answer = await agent.get(`${base}/batches`);
        assert.equal(answer.code, 'ERR_NOT_FOUND', role);
        // A manufacturer's own clinician sees no readings in the manufacturer: devices report elsewhere.
        if (role === 'clinician') {
          const own = await agent.get(`/api/v1/organisations/${manufacturerId}/batches`);
          assert.deepEqual(own.json<BatchPage>().batches, []);
        }
      }
    });

    it("refuses the care organisation's own admin the ciphertext (keys:manage is not data:read)", async () => {
      const admin = TestAgent.withToken(t.app, care.adminToken);
      assert.equal((await admin.get(`${base}/batches`)).code, 'ERR_AUTH_TOKEN_SCOPE');
      const session = await t.signIn(care.admin);
      assert.equal((await session.get(`${base}/batches`)).code, 'ERR_AUTH_FORBIDDEN');
      assert.equal((await session.get(`${base}/team-keys`)).status, 200, 'but may manage keys');
    });
  });

  describe('retention', () => {
    it('keeps 3,650 days unless set, and only org:manage sets it', async () => {
      const current = await clinician.get(`${base}/retention`);
      assert.deepEqual(current.json(), { days: 3650, updatedAt: null });
      assert.equal(
        (await clinician.request('PUT', `${base}/retention`, { days: 30 })).code,
        'ERR_AUTH_TOKEN_SCOPE',
      );
      const admin = TestAgent.withToken(t.app, care.adminToken);
      assert.equal(
        (await admin.request('PUT', `${base}/retention`, { days: 0 })).code,
        'ERR_REQUEST_INVALID',
      );
      const set = await admin.request('PUT', `${base}/retention`, { days: 190 });
      assert.equal(set.status, 200, set.code);
      assert.deepEqual(set.json(), { days: 190, updatedAt: t.clock.now() });
    });

    it('deletes batches whose readings all ended before the period, once, with one audit event', async () => {
      // Keeping 190 days at t0 + 190 days + 7 h deletes what ended before t0 + 7 h:
      // p's batches 1–6 (ending 1:02 … 6:02) and q's 1–3 (2:32, 4:32, 6:32).
      t.clock.set(t0 + 190 * DAY + 7 * HOUR);
      const expectedGone = 9;
      const deleted = await t.services.retention.sweep(systemContext('test'));
      assert.equal(deleted.get(care.organisationId), expectedGone);
      assert.equal(deleted.has(otherCare.organisationId), false, 'the default period keeps them');
      const left = await allPages('', 500);
      assert.equal(left.length, 17 - expectedGone);
      assert.ok(left.every((b) => b.to >= t.clock.now() - 190 * DAY));
      const events = (
        await t.store.listAuditEvents({ organisationId: care.organisationId, limit: 1000 })
      ).filter((e) => e.type === 'telemetry.retention.applied');
      assert.equal(events.length, 1);
      assert.equal(events[0]?.details?.['deleted'], expectedGone);
      assert.equal((await t.services.retention.sweep(systemContext('test'))).size, 0);
    });
  });
});
