import { webcrypto, type webcrypto as WebCrypto } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  derivePseudonymKey,
  generateKeyPair,
  generateSigningKeyPair,
  newDataKey,
  newEpoch,
  protectBatch,
  pseudonymFor,
  signManifest,
  vitalSignObservation,
  type NewDataKey,
  type VitalSignReading,
} from '@vigil/protect';
import { systemContext } from '@vigil/server';
import type { BenchServer } from './bench-server.js';
import { createDeviceRequests, enrolDevice } from './device-enrolment.js';
import { httpsRequest } from './https-request.js';
import type { ClientIdentity } from './load.js';

/**
 * Gateways for the ingest benchmark, set up as the real ones are (docs/telemetry.md):
 * a care organisation with a published key manifest, devices enrolled over EST with a
 * token naming it, each with its own data key uploaded, and protected batches made
 * exactly as the agent makes them (`vitalSignObservation`, `protectBatch`).
 */

/** Patients per gateway; a batch holds one patient's readings. */
const PATIENTS_PER_DEVICE = 4;
/** Batches protected at once while preparing (WebCrypto works on libuv's pool). */
const PROTECT_CONCURRENCY = 8;
const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;
const CONTEXT = systemContext('bench');

/** Readings cycle through the five vital signs, with values that move a little. */
function readingAt(n: number): VitalSignReading {
  switch (n % 5) {
    case 0:
      return { kind: 'heart-rate', value: 60 + (n % 40) };
    case 1:
      return { kind: 'oxygen-saturation', value: 92 + (n % 8) };
    case 2:
      return {
        kind: 'blood-pressure',
        value: { systolic: 110 + (n % 30), diastolic: 70 + (n % 15) },
      };
    case 3:
      return { kind: 'body-temperature', value: 36 + (n % 20) / 10 };
    default:
      return { kind: 'respiratory-rate', value: 12 + (n % 10) };
  }
}

/** A gateway as the benchmark drives it: its identity, keys and next sequence. */
export interface Gateway {
  readonly deviceId: string;
  readonly identity: ClientIdentity;
  readonly signingKey: WebCrypto.CryptoKey;
  readonly dataKey: NewDataKey;
  readonly pseudonyms: readonly string[];
  sequence: number;
}

export interface Prepared {
  readonly bodies: string[];
  readonly chars: number;
  readonly ms: number;
}

/**
 * A care organisation on `bench` with a published key manifest (its admin's
 * signing key, a member, the recovery key, team epoch 1), and `count` gateways
 * enrolled over EST with a token naming it, each with its data key uploaded.
 */
export async function prepareGateways(
  bench: BenchServer,
  count: number,
): Promise<{
  careOrganisationId: string;
  gateways: Gateway[];
}> {
  const careOrganisationId = await bench.addCareOrganisation('Bench Care Home');
  const [admin, member, recovery] = await Promise.all([
    generateSigningKeyPair(),
    generateKeyPair(),
    generateKeyPair(),
  ]);
  const epoch = await newEpoch({
    organisationId: careOrganisationId,
    previousEpoch: 0,
    memberPublicJwks: [member.publicJwk],
    recoveryPublicJwk: recovery.publicJwk,
  });
  const jws = await signManifest(
    {
      typ: 'vigil-key-manifest',
      organisationId: careOrganisationId,
      version: 1,
      issuedAt: new Date(Date.now() - 60_000).toISOString(),
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: [{ kid: member.kid, publicJwk: member.publicJwk }],
    },
    admin.privateJwk,
  );
  await bench.server.services.keys.publishManifest(
    OPERATOR,
    careOrganisationId,
    { jws, signingPublicJwk: admin.publicJwk },
    CONTEXT,
  );

  const token = await bench.createEnrolmentToken(count, { careOrganisationId });
  const requests = await createDeviceRequests(count, 'INGEST');
  const pseudonymKey = await derivePseudonymKey(
    webcrypto.getRandomValues(new Uint8Array(32)),
    'telemetry',
    1,
  );
  const gateways: Gateway[] = [];
  for (const [d, request] of requests.entries()) {
    const device = await enrolDevice(bench.baseUrl, { ca: bench.ca, token, request });
    const identity = { cert: device.certPem, key: device.keyPem };
    // One data key per gateway process and epoch (ADR 0009), wrapped to the manifest's keys.
    const dataKey = await newDataKey({
      organisationId: careOrganisationId,
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
    });
    const put = await httpsRequest(`${bench.deviceUrl}/device/v1/data-keys/${dataKey.kid}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jwe: dataKey.wrapped }),
      ca: bench.ca,
      cert: identity.cert,
      key: identity.key,
    });
    if (put.status !== 201) {
      throw new Error(`PUT data-keys answered HTTP ${put.status}: ${put.body.slice(0, 200)}`);
    }
    const signingKey = await webcrypto.subtle.importKey(
      'pkcs8',
      pemBody(device.keyPem),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const pseudonyms = await Promise.all(
      Array.from({ length: PATIENTS_PER_DEVICE }, (_, p) =>
        pseudonymFor(pseudonymKey, 1, `MRN-BENCH-${d + 1}-${p + 1}`),
      ),
    );
    gateways.push({
      deviceId: device.deviceId,
      identity,
      signingKey,
      dataKey,
      pseudonyms,
      sequence: 0,
    });
  }
  return { careOrganisationId, gateways };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/**
 * `count` batches of `size` readings, laid out for `runLoad`'s `bodies` with one
 * connection per gateway: body j goes out on connection j mod gateways, which
 * presents that gateway's certificate, so each gateway's sequences go out on its
 * own connection in order.
 */
export async function prepareBatches(
  gateways: readonly Gateway[],
  careOrganisationId: string,
  size: number,
  count: number,
): Promise<Prepared> {
  const t0 = performance.now();
  const bodies = new Array<string>(count);
  // Readings of the last 30 days, a second apart, never twice the same time for a patient.
  const epochStart = Date.now() - 30 * 86_400_000;
  let next = 0;
  const protectOne = async (j: number): Promise<void> => {
    const gateway = gateways[j % gateways.length] as Gateway;
    const sequence = ++gateway.sequence;
    const pseudonym = gateway.pseudonyms[sequence % gateway.pseudonyms.length] as string;
    const first = epochStart + sequence * size * 1_000;
    const observations = Array.from({ length: size }, (_, i) =>
      vitalSignObservation({
        ...readingAt(sequence + i),
        effective: new Date(first + i * 1_000),
        pseudonym,
        deviceId: gateway.deviceId,
      }),
    );
    bodies[j] = await protectBatch({
      dataKey: gateway.dataKey,
      signingKey: gateway.signingKey,
      organisationId: careOrganisationId,
      deviceId: gateway.deviceId,
      sequence,
      createdAt: new Date(first + size * 1_000),
      pseudonym,
      observations,
    });
  };
  // Sequences are taken in body order (synchronously, before each await), so they ascend per connection.
  const worker = async () => {
    while (next < count) await protectOne(next++);
  };
  await Promise.all(Array.from({ length: PROTECT_CONCURRENCY }, worker));
  const chars = bodies.reduce((n, b) => n + b.length, 0);
  return { bodies, chars, ms: performance.now() - t0 };
}
