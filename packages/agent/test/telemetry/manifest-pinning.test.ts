import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, generateSigningKeyPair, unwrapDataKey } from '@vigil/protect';
import type { MemoryStorage } from '@vigil/agent';
import { code } from '../fakes/agent-fixture.js';
import { heartRates, telemetryWorld } from './telemetry-fixture.js';

/**
 * ADR 0008 / ADR 0010 §2: the gateway pins the care organisation's manifest
 * signing key at its first manifest and afterwards trusts no other key, no older
 * version and no other organisation — whatever the server sends.
 */

interface StoredRecord {
  pins: { organisationId: string; signingPublicJwk: unknown; lastAcceptedVersion: number };
}

/** The telemetry record as the agent stored it. */
async function storedRecord(storage: MemoryStorage): Promise<StoredRecord> {
  return JSON.parse((await storage.loadRecord('telemetry')) ?? '{}') as StoredRecord;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('Telemetry key manifest', () => {
  describe('on first use', () => {
    it('pins the signing key, organisation and version, and stores the pins in the agent storage', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      const refresh = await telemetry.refreshManifest();
      assert.deepEqual(refresh, {
        status: 'pinned',
        organisationId: world.organisation.organisationId,
        version: 1,
        epoch: 1,
        signingKeyFingerprint: world.organisation.admin.kid,
      });
      const record = await storedRecord(world.storage);
      assert.deepEqual(record.pins, {
        organisationId: world.organisation.organisationId,
        signingPublicJwk: world.organisation.admin.publicJwk,
        lastAcceptedVersion: 1,
      });
    });

    it('accepts the first key when it has the fingerprint the organisation published (base64url or hex)', async (t) => {
      const world = await telemetryWorld(t);
      const hex = Buffer.from(world.organisation.admin.kid, 'base64url').toString('hex');
      for (const fingerprint of [world.organisation.admin.kid, hex.toUpperCase()]) {
        await world.storage.saveRecord(
          'telemetry',
          '{"format":1,"pins":null,"manifestJws":null,"pseudonymTable":null,"staffCopy":null,"dataKeys":[]}',
        );
        const telemetry = await world.open({ expectedSigningKeyFingerprint: fingerprint });
        assert.equal((await telemetry.refreshManifest()).status, 'pinned');
        await telemetry.close();
      }
    });

    it('refuses a first key without the published fingerprint with ERR_AGENT_MANIFEST_FINGERPRINT and pins nothing', async (t) => {
      const world = await telemetryWorld(t);
      const other = await generateSigningKeyPair();
      const telemetry = await world.open({ expectedSigningKeyFingerprint: other.kid });
      await assert.rejects(telemetry.refreshManifest(), code('ERR_AGENT_MANIFEST_FINGERPRINT'));
      assert.equal(telemetry.status().manifest, null);
      assert.equal(await world.storage.loadRecord('telemetry'), null);
      assert.deepEqual(world.alarms, [
        { kind: 'manifest-refused', code: 'ERR_AGENT_MANIFEST_FINGERPRINT' },
      ]);
    });

    it('refuses a first manifest of another organisation than the expected one', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open({ expectedOrganisationId: 'org-elsewhere' });
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_ORGANISATION'));
      assert.equal(telemetry.status().manifest, null);
    });

    it('passes ERR_MANIFEST_NOT_FOUND through before the organisation has published one', async (t) => {
      const world = await telemetryWorld(t);
      world.routes.manifest = undefined;
      const telemetry = await world.open();
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_NOT_FOUND'));
      await assert.rejects(
        telemetry.record('MRN 0042', heartRates(1, world.clock.now())),
        code('ERR_MANIFEST_NOT_FOUND'),
      );
      assert.equal(telemetry.status().queued, 0);
    });
  });

  describe('once the signing key is pinned', () => {
    it('A server that substitutes its own public key in the manifest is refused by the agent', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      // The breached server makes its own signing key and team key and serves a
      // newer manifest signed with it, naming its key in the answer as the first one did.
      const serverSigningKey = await generateSigningKeyPair();
      const serverTeamKey = await generateKeyPair();
      world.routes.manifest = await world.organisation.answer(2, world.clock.now(), {
        signer: serverSigningKey,
        payload: { epoch: 2, teamPublicJwk: serverTeamKey.publicJwk },
      });
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_UNKNOWN_KEY'));
      assert.deepEqual(world.alarms, [
        { kind: 'manifest-refused', code: 'ERR_MANIFEST_UNKNOWN_KEY' },
      ]);
      assert.equal(telemetry.status().manifest?.version, 1);
      // The readings still go to the organisation's keys, never to the server's.
      await telemetry.record('MRN 0042', heartRates(2, world.clock.now()));
      await telemetry.flush();
      const [stored] = world.routes.batches;
      assert.ok(stored !== undefined);
      const opened = await world.organisation.read(stored.jwe, world.routes, world.devicePublicJwk);
      assert.equal(opened.epoch, 1);
      const [wrapped] = [...world.routes.dataKeys.values()];
      await assert.rejects(
        unwrapDataKey(JSON.parse(wrapped ?? '{}'), serverTeamKey.privateJwk, {
          organisationId: world.organisation.organisationId,
          epoch: 1,
        }),
        (e: unknown) => (e as { code?: string }).code === 'ERR_PROTECT_NOT_A_RECIPIENT',
      );
    });

    it("refuses a manifest signed with another key under the pinned key's kid (ERR_MANIFEST_SIGNATURE)", async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      const forged = await world.organisation.answer(2, world.clock.now(), {
        signer: await generateSigningKeyPair(),
      });
      const [, payload, signature] = forged.jws.split('.');
      const header = b64({
        alg: 'ES256',
        typ: 'vigil-key-manifest+jws',
        kid: world.organisation.admin.kid,
      });
      world.routes.manifest = {
        ...forged,
        jws: `${header}.${payload}.${signature}`,
        signingPublicJwk: world.organisation.admin.publicJwk,
      };
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_SIGNATURE'));
      assert.equal(telemetry.status().manifest?.version, 1);
    });

    it('refuses a manifest whose signature was altered (ERR_MANIFEST_SIGNATURE)', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      const next = await world.organisation.answer(2, world.clock.now());
      const [header, payload] = next.jws.split('.');
      const edited = b64({ ...world.organisation.payload(2, world.clock.now()), epoch: 9 });
      const [, , signature] = next.jws.split('.');
      world.routes.manifest = { ...next, jws: `${header}.${edited}.${signature}` };
      assert.notEqual(edited, payload);
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_SIGNATURE'));
      assert.equal(telemetry.status().manifest?.epoch, 1);
    });

    it('refuses an older version (ERR_MANIFEST_ROLLBACK) and keeps the newer one in force', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      const version1 = world.routes.manifest;
      await world.organisation.publish(world.routes, 3, world.clock.now());
      assert.equal((await telemetry.refreshManifest()).status, 'updated');
      world.routes.manifest = version1;
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_ROLLBACK'));
      assert.equal(telemetry.status().manifest?.version, 3);
    });

    it('refuses the same version with other bytes (a replay, ERR_MANIFEST_ROLLBACK)', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      await world.organisation.rotate();
      world.routes.manifest = await world.organisation.answer(1, world.clock.now());
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_ROLLBACK'));
      assert.equal(telemetry.status().manifest?.epoch, 1);
    });

    it('refuses a manifest of another organisation, even signed by the pinned key', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      world.routes.manifest = await world.organisation.answer(2, world.clock.now(), {
        payload: { organisationId: 'org-elsewhere' },
      });
      await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_ORGANISATION'));
      assert.equal(telemetry.status().manifest?.organisationId, world.organisation.organisationId);
    });

    it("accepts a newer manifest under the pin and ignores the answer's signingPublicJwk", async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      const stranger = await generateSigningKeyPair();
      const next = await world.organisation.answer(2, world.clock.now());
      world.routes.manifest = { ...next, signingPublicJwk: stranger.publicJwk };
      assert.equal((await telemetry.refreshManifest()).status, 'updated');
      const record = await storedRecord(world.storage);
      assert.deepEqual(record.pins.signingPublicJwk, world.organisation.admin.publicJwk);
      assert.equal(record.pins.lastAcceptedVersion, 2);
    });

    it('answers unchanged while the server serves the manifest in force', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      assert.equal((await telemetry.refreshManifest()).status, 'unchanged');
      assert.deepEqual(world.alarms, []);
    });

    it('keeps the pins across a restart: the reopened gateway still refuses a substituted key', async (t) => {
      const world = await telemetryWorld(t);
      const first = await world.open();
      await first.refreshManifest();
      await first.close();
      const serverKey = await generateSigningKeyPair();
      world.routes.manifest = await world.organisation.answer(2, world.clock.now(), {
        signer: serverKey,
      });
      const second = await world.open();
      assert.equal(second.status().manifest?.version, 1);
      await assert.rejects(second.refreshManifest(), code('ERR_MANIFEST_UNKNOWN_KEY'));
    });

    it('refuses to start on pins edited on disk (ERR_AGENT_STORAGE_CORRUPT)', async (t) => {
      const world = await telemetryWorld(t);
      const telemetry = await world.open();
      await telemetry.refreshManifest();
      await telemetry.close();
      const record = await storedRecord(world.storage);
      record.pins.signingPublicJwk = (await generateSigningKeyPair()).publicJwk;
      await world.storage.saveRecord('telemetry', JSON.stringify(record));
      await assert.rejects(world.open(), code('ERR_AGENT_STORAGE_CORRUPT'));
    });
  });
});
