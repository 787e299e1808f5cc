import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  HttpsTransport,
  MemoryStorage,
  TelemetryApi,
  VigilAgent,
  isAgentError,
  type AgentErrorCode,
  type ServerErrorCode,
  type Telemetry,
  type TelemetryAlarm,
  type TelemetryOptions,
} from '@vigil/agent';
import {
  generateKeyPair,
  generateSigningKeyPair,
  newEpoch,
  openBatch,
  openTableForStaff,
  signManifest,
  unwrapDataKey,
  unwrapTeamKey,
  type EcKeyPair,
  type KeyManifestPayload,
  type P256PublicJwk,
  type SigningKeyPair,
  type TeamEpoch,
} from '@vigil/protect';
import { startTestServer, type StartedTestServer } from '@vigil/testkit';
import { devicePublicJwk } from './fakes/care-organisation.js';
import { tempDir } from './fakes/temp-dir.js';

/**
 * Protected telemetry end to end against the real server (docs/telemetry.md):
 * a care organisation publishes a signed key manifest through the operator
 * API, a gateway enrolled with a token naming that organisation pins it,
 * uploads its data key, staff table and batches over mutual TLS, and a
 * clinician's client fetches and opens what the server stored.
 */
const code = (expected: AgentErrorCode | ServerErrorCode) => (error: unknown) =>
  isAgentError(error) && error.code === expected;

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);

type Care = Awaited<ReturnType<StartedTestServer['careOrganisation']>>;

function manifestPayload(
  organisationId: string,
  keys: Pick<Keys, 'member' | 'recovery'> & { teamPublicJwk: P256PublicJwk },
  version: number,
): KeyManifestPayload {
  return {
    typ: 'vigil-key-manifest',
    organisationId,
    version,
    issuedAt: new Date(Date.now() - 60_000).toISOString(),
    epoch: version,
    teamPublicJwk: keys.teamPublicJwk,
    recoveryPublicJwk: keys.recovery.publicJwk,
    members: [{ kid: keys.member.kid, publicJwk: keys.member.publicJwk }],
  };
}

interface Keys {
  readonly admin: SigningKeyPair;
  readonly member: EcKeyPair;
  readonly recovery: EcKeyPair;
  readonly epoch: TeamEpoch;
}

describe('protected telemetry against the real Vigil server', () => {
  let server: StartedTestServer;
  let api: HttpsTransport;
  let care: Care;
  let keys: Keys;
  const cleanups: (() => Promise<void> | void)[] = [];

  /** An operator-API call with a bearer token; the answer parsed. */
  async function call(method: string, path: string, token: string, body?: unknown) {
    const response = await api.request({
      url: new URL(`/api/v1${path}`, server.url).href,
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = new TextDecoder().decode(response.body);
    return {
      status: response.status,
      json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
    };
  }

  /**
   * A care organisation with its keys (made on its admin's and member's own
   * machines) and manifest version 1 published through the operator API.
   */
  async function careOrganisationWithKeys(): Promise<{ care: Care; keys: Keys }> {
    const care = await server.careOrganisation();
    const [admin, member, recovery] = await Promise.all([
      generateSigningKeyPair(),
      generateKeyPair(),
      generateKeyPair(),
    ]);
    const epoch = await newEpoch({
      organisationId: care.organisationId,
      previousEpoch: 0,
      memberPublicJwks: [member.publicJwk],
      recoveryPublicJwk: recovery.publicJwk,
    });
    const keys = { admin, member, recovery, epoch };
    const jws = await signManifest(
      manifestPayload(care.organisationId, { ...keys, teamPublicJwk: epoch.teamKey.publicJwk }, 1),
      admin.privateJwk,
    );
    const published = await call(
      'PUT',
      `/organisations/${care.organisationId}/key-manifest`,
      care.adminToken,
      { jws, signingPublicJwk: admin.publicJwk },
    );
    assert.equal(published.status, 200, JSON.stringify(published.json));
    const team = await call(
      'PUT',
      `/organisations/${care.organisationId}/team-keys/1`,
      care.adminToken,
      { jwe: epoch.wrapped },
    );
    assert.ok(team.status < 300, JSON.stringify(team.json));
    return { care, keys };
  }

  before(async () => {
    server = await startTestServer();
    api = new HttpsTransport({ trustPem: server.caCertPem });
    ({ care, keys } = await careOrganisationWithKeys());
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    api.close();
    await server.close();
  });

  async function gateway(
    t: { after(fn: () => Promise<void>): void },
    options: {
      careOrganisationId?: string;
      fingerprint?: string;
      telemetry?: Partial<TelemetryOptions>;
    } = {},
  ) {
    const agent = await VigilAgent.enrol({
      enrolUrl: server.url,
      deviceUrl: server.deviceUrl,
      token: await server.createEnrolmentToken(
        options.careOrganisationId === undefined
          ? {}
          : { careOrganisationId: options.careOrganisationId },
      ),
      serverTrustPem: server.caCertPem,
      serialNumber: `SN-T-${cleanups.length + 1}`,
      storage: new MemoryStorage(),
    });
    cleanups.push(() => agent.close());
    const alarms: TelemetryAlarm[] = [];
    const errors: unknown[] = [];
    const telemetry: Telemetry = await agent.telemetry({
      outbox: { file: join(await tempDir(t), 'outbox.sqlite'), cap: { rows: 1_000 } },
      pseudonymSecret: SECRET,
      expectedSigningKeyFingerprint: options.fingerprint ?? keys.admin.kid,
      onAlarm: (alarm) => alarms.push(alarm),
      onError: (error) => errors.push(error),
      ...options.telemetry,
    });
    cleanups.push(() => telemetry.close());
    return { agent, telemetry, alarms, errors };
  }

  it('pins the published manifest, uploads batches the server stores, and a clinician opens them', async (t) => {
    const { agent, telemetry, errors } = await gateway(t, {
      careOrganisationId: care.organisationId,
    });
    const pinned = await telemetry.refreshManifest();
    assert.equal(pinned.status, 'pinned');
    assert.equal(pinned.signingKeyFingerprint, keys.admin.kid);
    const now = Date.now();
    const recorded = [
      await telemetry.record('MRN 0042', [
        { kind: 'heart-rate', value: 71, effective: new Date(now - 2_000) },
        { kind: 'oxygen-saturation', value: 96, effective: new Date(now - 1_000) },
      ]),
      await telemetry.record('MRN 0043', [
        {
          kind: 'blood-pressure',
          value: { systolic: 131, diastolic: 84 },
          effective: new Date(now),
        },
      ]),
      await telemetry.record('MRN 0042', [
        { kind: 'body-temperature', value: 37.2, effective: new Date(now) },
      ]),
    ];
    assert.deepEqual(
      recorded.map((r) => [r.sequence, r.label]),
      [
        [1, 'P1'],
        [2, 'P2'],
        [3, 'P1'],
      ],
    );
    assert.deepEqual(await telemetry.flush(), { delivered: 3, duplicates: 0, status: 'drained' });
    assert.deepEqual(errors, []);

    // The clinician's side: ciphertext and wrapped keys from the server, keys from their keystore.
    const listed = await call(
      'GET',
      `/organisations/${care.organisationId}/batches?limit=10`,
      care.clinicianToken,
    );
    assert.equal(listed.status, 200, JSON.stringify(listed.json));
    const batches = (listed.json['batches'] as { sequence: number; jwe: string; kid: string }[])
      .filter((b) => recorded.some((r) => r.pseudonym === (b as { pseudonym?: string }).pseudonym))
      .sort((a, b) => a.sequence - b.sequence);
    assert.deepEqual(
      batches.map((b) => b.sequence),
      [1, 2, 3],
    );
    const context = { organisationId: care.organisationId, epoch: 1 };
    const team = await unwrapTeamKey(keys.epoch.wrapped, keys.member.privateJwk, context);
    const kid = batches[0]?.kid ?? '';
    const wrapped = await call(
      'GET',
      `/organisations/${care.organisationId}/data-keys?kid=${kid}`,
      care.clinicianToken,
    );
    const [row] = wrapped.json['dataKeys'] as { jwe: unknown }[];
    const dataKey = await unwrapDataKey(row?.jwe, team, { ...context, kid });
    const opened = [];
    for (const batch of batches) {
      opened.push(
        await openBatch(batch.jwe, {
          dataKeys: (k) => (k === kid ? dataKey.key : undefined),
          deviceVerificationKey: () => devicePublicJwk(agent.certificatePem),
          expected: { organisationId: care.organisationId, deviceId: agent.deviceId },
        }),
      );
    }
    assert.deepEqual(
      opened.map((b) => b.observations.length),
      [2, 1, 1],
    );
    assert.equal(opened[1]?.observations[0]?.component?.[0]?.valueQuantity.value, 131);

    // The staff copy of the pseudonym table re-identifies P1 and P2 for the team.
    const tables = await call(
      'GET',
      `/organisations/${care.organisationId}/pseudonym-tables`,
      care.clinicianToken,
    );
    const ours = (tables.json['pseudonymTables'] as { deviceId: string; jwe: unknown }[]).find(
      (row) => row.deviceId === agent.deviceId,
    );
    const table = await openTableForStaff(ours?.jwe, team, care.organisationId);
    assert.deepEqual(
      table.entries().map((e) => [e.label, e.patientId]),
      [
        ['P1', 'MRN 0042'],
        ['P2', 'MRN 0043'],
      ],
    );

    // At-least-once delivery becomes exactly-once storage: the same bytes again are a duplicate.
    const device = new TelemetryApi((path, init) => agent.request(path, init));
    assert.equal(await device.postBatch(batches[0]?.jwe ?? '', 1), 'duplicate');
  });

  it('reports queue alarms to the server without an error', async (t) => {
    const { telemetry, alarms, errors } = await gateway(t, {
      careOrganisationId: care.organisationId,
      telemetry: {
        outbox: { file: join(await tempDir(t), 'alarm-outbox.sqlite'), cap: { rows: 2 } },
      },
    });
    for (let i = 0; i < 2; i += 1) {
      await telemetry.record('MRN 0050', [
        { kind: 'respiratory-rate', value: 14, effective: new Date() },
      ]);
    }
    await assert.rejects(
      telemetry.record('MRN 0050', [
        { kind: 'respiratory-rate', value: 14, effective: new Date() },
      ]),
      code('ERR_AGENT_QUEUE_FULL'),
    );
    assert.deepEqual(
      alarms.map((a) => a.kind),
      ['queue-critical'],
    );
    await telemetry.flush();
    await telemetry.close(); // waits for the alarm reports in flight
    assert.deepEqual(errors, []);
  });

  it('A server that substitutes its own public key in the manifest is refused by the agent (breached store)', async (t) => {
    // Its own care organisation: the forged manifest must not reach the other tests.
    const other = await careOrganisationWithKeys();
    const { telemetry, alarms } = await gateway(t, {
      careOrganisationId: other.care.organisationId,
      fingerprint: other.keys.admin.kid,
    });
    assert.equal((await telemetry.refreshManifest()).status, 'pinned');
    // An attacker with the server's database writes a newer manifest under keys of their own.
    const attacker = await generateSigningKeyPair();
    const attackerTeam = await generateKeyPair();
    const forged = await signManifest(
      manifestPayload(
        other.care.organisationId,
        { ...other.keys, teamPublicJwk: attackerTeam.publicJwk },
        2,
      ),
      attacker.privateJwk,
    );
    await server.server.store.insertKeyManifest({
      organisationId: other.care.organisationId,
      version: 2,
      epoch: 2,
      jws: forged,
      signingPublicJwk: { ...attacker.publicJwk },
      signingKeyFingerprint: attacker.kid,
      createdAt: Date.now(),
    });
    await assert.rejects(telemetry.refreshManifest(), code('ERR_MANIFEST_UNKNOWN_KEY'));
    assert.deepEqual(alarms, [{ kind: 'manifest-refused', code: 'ERR_MANIFEST_UNKNOWN_KEY' }]);
    assert.equal(telemetry.status().manifest?.version, 1);
    // Readings keep going to the organisation's own team key, not to the attacker's.
    await telemetry.record('MRN 0042', [{ kind: 'heart-rate', value: 64, effective: new Date() }]);
    assert.equal((await telemetry.flush()).delivered, 1);
    const listed = await call(
      'GET',
      `/organisations/${other.care.organisationId}/data-keys`,
      other.care.clinicianToken,
    );
    const [row] = listed.json['dataKeys'] as { kid: string; jwe: unknown }[];
    const context = { organisationId: other.care.organisationId, epoch: 1 };
    const team = await unwrapTeamKey(
      other.keys.epoch.wrapped,
      other.keys.member.privateJwk,
      context,
    );
    assert.equal((await unwrapDataKey(row?.jwe, team, context)).kid, row?.kid);
    await assert.rejects(
      unwrapDataKey(row?.jwe, attackerTeam.privateJwk, context),
      (e: unknown) => (e as { code?: string }).code === 'ERR_PROTECT_NOT_A_RECIPIENT',
    );
  });

  it('refuses telemetry for a device whose token named no care organisation', async (t) => {
    const { telemetry } = await gateway(t);
    await assert.rejects(telemetry.refreshManifest(), code('ERR_DEVICE_NOT_ASSIGNED'));
  });
});
