import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEventInput } from '@vigil/core';
import { forEachEngine } from '@vigil/testkit';
import type { Store } from '../../src/store/index.js';
import { NOW, hospital, manufacturer } from './fixtures.js';

function event(organisationId: string | null, n: number): AuditEventInput {
  return {
    type: 'auth.sign-in.failed',
    outcome: 'failure',
    organisationId,
    actor: { kind: 'anonymous', claimedEmail: `n${n}@example.org` },
    details: { attempt: n },
  };
}

async function appendMany(store: Store, organisationId: string | null, count: number, from = 0) {
  const events = [];
  for (let n = from; n < from + count; n++)
    events.push(await store.appendAuditEvent(event(organisationId, n), NOW + n));
  return events;
}

forEachEngine('the store: audit events', (engine) => {
  describe('when an event is appended', () => {
    it('comes back as recorded, with an id, a sequence and the time', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const input: AuditEventInput = {
        type: 'user.role-changed',
        outcome: 'success',
        organisationId: maker.id,
        actor: { kind: 'user', userId: 'u-1', tokenId: 't-1' },
        target: { kind: 'user', id: 'u-2' },
        sourceIp: '2001:db8::1',
        userAgent: 'curl/8',
        requestId: 'req-1',
        details: { from: 'auditor', to: 'admin', mfa: true, count: 2, note: null },
      };
      const recorded = await store.appendAuditEvent(input, NOW);
      assert.deepEqual(recorded, {
        ...input,
        id: recorded.id,
        sequence: recorded.sequence,
        occurredAt: NOW,
      });
      assert.deepEqual(await store.listAuditEvents({ organisationId: maker.id, limit: 10 }), [
        recorded,
      ]);
    });

    it('leaves out optional fields that were not given', async () => {
      const store = await engine.open();
      const recorded = await store.appendAuditEvent(
        {
          type: 'config.changed',
          outcome: 'success',
          organisationId: null,
          actor: { kind: 'system' },
        },
        NOW,
      );
      const [listed] = await store.listAllAuditEvents(0, 10);
      assert.deepEqual(listed, recorded);
      assert.deepEqual(Object.keys(recorded).sort(), [
        'actor',
        'id',
        'occurredAt',
        'organisationId',
        'outcome',
        'sequence',
        'type',
      ]);
    });
  });

  describe('when events are listed', () => {
    it('returns them in strictly increasing sequence order, also when appended concurrently', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      await Promise.all(
        Array.from({ length: 20 }, (_, n) => store.appendAuditEvent(event(maker.id, n), NOW)),
      );
      const listed = await store.listAuditEvents({ organisationId: maker.id, limit: 100 });
      assert.equal(listed.length, 20);
      assert.equal(new Set(listed.map((e) => e.id)).size, 20);
      for (let i = 1; i < listed.length; i++) {
        assert.ok(listed[i]!.sequence > listed[i - 1]!.sequence);
      }
    });

    it('shows an organisation only its own events, server-wide ones only when asked', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const care = await hospital(store, maker.id);
      const [ours] = await appendMany(store, maker.id, 1, 0);
      const [serverWide] = await appendMany(store, null, 1, 1);
      await appendMany(store, care.id, 1, 2);
      const [oursLater] = await appendMany(store, maker.id, 1, 3);

      assert.deepEqual(await store.listAuditEvents({ organisationId: maker.id, limit: 10 }), [
        ours,
        oursLater,
      ]);
      assert.deepEqual(
        await store.listAuditEvents({
          organisationId: maker.id,
          limit: 10,
          includeServerWide: true,
        }),
        [ours, serverWide, oursLater],
      );
    });

    it('pages with afterSequence and limit, per organisation and across all', async () => {
      const store = await engine.open();
      const maker = await manufacturer(store);
      const events = await appendMany(store, maker.id, 5);
      const firstPage = await store.listAuditEvents({ organisationId: maker.id, limit: 2 });
      assert.deepEqual(firstPage, events.slice(0, 2));
      const nextPage = await store.listAuditEvents({
        organisationId: maker.id,
        afterSequence: firstPage[1]!.sequence,
        limit: 2,
      });
      assert.deepEqual(nextPage, events.slice(2, 4));
      assert.deepEqual(await store.listAllAuditEvents(events[3]!.sequence, 10), events.slice(4));
      assert.deepEqual(await store.listAllAuditEvents(0, 3), events.slice(0, 3));
    });
  });

  describe('when the organisation an event mentions is gone', () => {
    it('keeps the event: the trail is never cascaded away', async () => {
      const store = await engine.open();
      const ann = await store.createUser({
        email: 'ann@maker.example',
        name: 'Ann',
        passwordHash: null,
        now: NOW,
      });
      await store.appendAuditEvent(
        {
          type: 'user.created',
          outcome: 'success',
          organisationId: null,
          actor: { kind: 'system' },
          target: { kind: 'user', id: ann.id },
        },
        NOW,
      );
      await store.deleteUser(ann.id);
      assert.equal((await store.listAllAuditEvents(0, 10))[0]?.target?.id, ann.id);
    });
  });
});
