import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachEngine } from '@vigil/testkit';
import { NOW, digest, hospital, manufacturer, person } from './fixtures.js';

forEachEngine('the store: organisations and people', (engine) => {
  describe('when organisations are created', () => {
    it('reads one back by id, and nothing for an unknown id', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      assert.deepEqual(await store.getOrganisation(maker.id), maker);
      assert.deepEqual(maker, {
        id: maker.id,
        kind: 'manufacturer',
        name: 'Example Medical Devices',
        manufacturerId: null,
        createdAt: NOW,
      });
      assert.equal(await store.getOrganisation('00000000-0000-4000-8000-000000000000'), undefined);
    });

    it('lists the care organisations a manufacturer serves, by name, and counts them all', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const other = await manufacturer(store, 'Other Maker');
      const b = await hospital(store, maker.id, 'B Hospital');
      const a = await hospital(store, maker.id, 'A Clinic');
      await hospital(store, other.id, 'Not Ours');
      assert.deepEqual(await store.listOrganisationsServedBy(maker.id), [a, b]);
      assert.equal(await store.countOrganisations(), 5);
      assert.deepEqual(
        (await store.listOrganisations('manufacturer')).map((o) => o.name),
        ['Example Medical Devices', 'Other Maker'],
      );
      assert.equal((await store.listOrganisations()).length, 5);
    });
  });

  describe('when a user is created', () => {
    it('reads them back by id and by email in any letter case', async () => {
      const store = await engine.open();
      const ann = await person(store, 'Ann@Hospital.Example', 'Ann');
      assert.equal(ann.email, 'ann@hospital.example');
      assert.equal(ann.disabled, false);
      assert.equal(ann.totpLastStep, null);
      assert.deepEqual(await store.getUser(ann.id), ann);
      assert.deepEqual(await store.getUserByEmail('ANN@hospital.example'), ann);
      assert.equal(await store.getUserByEmail('bob@hospital.example'), undefined);
      assert.equal(await store.countUsers(), 1);
    });

    it('refuses a second user with the same email with ERR_USER_EXISTS', async () => {
      const store = await engine.open();
      await person(store, 'ann@hospital.example');
      await assert.rejects(person(store, 'ANN@hospital.example'), { code: 'ERR_USER_EXISTS' });
      assert.equal(await store.countUsers(), 1);
    });

    it('applies a partial update and leaves the other fields alone', async () => {
      const store = await engine.open();
      const ann = await person(store, 'ann@hospital.example', 'Ann');
      await store.updateUser(ann.id, { disabled: true, totpPendingSealed: 'sealed:pending' });
      await store.updateUser(ann.id, {
        name: 'Ann B.',
        passwordHash: null,
        passwordChangedAt: NOW + 1,
      });
      await store.updateUser(ann.id, {});
      assert.deepEqual(await store.getUser(ann.id), {
        ...ann,
        name: 'Ann B.',
        passwordHash: null,
        passwordChangedAt: NOW + 1,
        disabled: true,
        totpPendingSealed: 'sealed:pending',
      });
      await store.updateUser(ann.id, {
        disabled: false,
        totpSecretSealed: 'sealed:secret',
        totpLastStep: 7,
      });
      const after = await store.getUser(ann.id);
      assert.equal(after?.disabled, false);
      assert.equal(after?.totpSecretSealed, 'sealed:secret');
      assert.equal(after?.totpLastStep, 7);
    });
  });

  describe('when people are members of organisations', () => {
    it('lists the memberships of a person and the members of an organisation with their user', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const care = await hospital(store, maker.id);
      const zoe = await person(store, 'zoe@maker.example');
      const ann = await person(store, 'ann@maker.example');
      await store.addMembership({
        userId: zoe.id,
        organisationId: maker.id,
        role: 'admin',
        now: NOW,
      });
      await store.addMembership({
        userId: ann.id,
        organisationId: maker.id,
        role: 'auditor',
        now: NOW + 1,
      });
      await store.addMembership({
        userId: zoe.id,
        organisationId: care.id,
        role: 'clinician',
        now: NOW + 2,
      });

      assert.deepEqual(await store.listMembershipsOfUser(zoe.id), [
        { userId: zoe.id, organisationId: maker.id, role: 'admin', createdAt: NOW },
        { userId: zoe.id, organisationId: care.id, role: 'clinician', createdAt: NOW + 2 },
      ]);
      assert.deepEqual(await store.listMembersOfOrganisation(maker.id), [
        {
          userId: ann.id,
          organisationId: maker.id,
          role: 'auditor',
          createdAt: NOW + 1,
          user: ann,
        },
        { userId: zoe.id, organisationId: maker.id, role: 'admin', createdAt: NOW, user: zoe },
      ]);
    });

    it('changes a role, counts members with a role and removes a membership', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const ann = await person(store, 'ann@maker.example');
      await store.addMembership({
        userId: ann.id,
        organisationId: maker.id,
        role: 'auditor',
        now: NOW,
      });
      assert.equal(await store.countMembersWithRole(maker.id, 'admin'), 0);
      await store.setMembershipRole(ann.id, maker.id, 'admin');
      assert.equal(await store.countMembersWithRole(maker.id, 'admin'), 1);
      await store.removeMembership(ann.id, maker.id);
      assert.deepEqual(await store.listMembershipsOfUser(ann.id), []);
      assert.ok(await store.getUser(ann.id), 'the person stays');
    });

    it('refuses a duplicate membership with ERR_CONFLICT and an unknown organisation with ERR_NOT_FOUND', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const ann = await person(store, 'ann@maker.example');
      const membership = {
        userId: ann.id,
        organisationId: maker.id,
        role: 'auditor',
        now: NOW,
      } as const;
      await store.addMembership(membership);
      await assert.rejects(store.addMembership(membership), { code: 'ERR_CONFLICT' });
      await assert.rejects(
        store.addMembership({
          ...membership,
          organisationId: '00000000-0000-4000-8000-000000000000',
        }),
        { code: 'ERR_NOT_FOUND' },
      );
    });
  });

  describe('when a user is deleted', () => {
    it('takes their memberships, sessions and tokens with them and keeps the organisation', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const ann = await person(store, 'ann@maker.example');
      const bob = await person(store, 'bob@maker.example');
      for (const user of [ann, bob]) {
        await store.addMembership({
          userId: user.id,
          organisationId: maker.id,
          role: 'auditor',
          now: NOW,
        });
        await store.createSession({
          idHash: digest(`session-${user.email}`),
          id: `s-${user.id}`,
          userId: user.id,
          state: 'active',
          csrfHash: digest(`csrf-${user.email}`),
          createdAt: NOW,
          lastSeenAt: NOW,
          sourceIp: null,
          userAgent: null,
        });
        await store.createApiToken({
          userId: user.id,
          organisationId: maker.id,
          name: 'ci',
          tokenHash: digest(`token-${user.email}`),
          scopes: ['org:read'],
          createdAt: NOW,
          expiresAt: NOW + 1,
        });
      }

      await store.deleteUser(ann.id);

      assert.equal(await store.getUser(ann.id), undefined);
      assert.deepEqual(await store.listMembershipsOfUser(ann.id), []);
      assert.equal(await store.getSessionByHash(digest(`session-${ann.email}`)), undefined);
      assert.deepEqual(await store.listApiTokensOfUser(ann.id), []);
      assert.deepEqual(
        (await store.listMembersOfOrganisation(maker.id)).map((m) => m.userId),
        [bob.id],
        'other people are untouched',
      );
      assert.ok(await store.getSessionByHash(digest(`session-${bob.email}`)));
      assert.ok(await store.getOrganisation(maker.id));
    });
  });
});
