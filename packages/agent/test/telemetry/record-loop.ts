// Child process for telemetry-crash.test.ts: records batches for several
// patients at once through Telemetry.record, until killed, and prints
// `<sequence> <marker>` for each record once it has resolved (i.e. the agent
// said it is on disk). The marker is the batch's one reading time in epoch ms,
// unique per record; the batch header repeats it in clear (`from`).
// Not a test file itself (no .test.ts suffix).
import { writeSync } from 'node:fs';
import { generateKeyPair, generateSigningKeyPair, newEpoch, signManifest } from '@vigil/protect';
// The modules themselves, not the package index: start-up stays short (no x509 stack to load).
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { Telemetry } from '../../src/telemetry/telemetry.js';
import type { TransportResponse } from '../../src/transport.js';

const [file, runArgument] = process.argv.slice(2);
if (file === undefined || runArgument === undefined) {
  throw new Error('usage: record-loop.ts <outbox file> <run number>');
}
/** Records in flight at once, one patient each. */
const LANES = 8;
const run = Number(runArgument);
/** Reading times of run r start at 2026-01-01 + r × 10^6 s: distinct across runs. */
const firstMarker = Date.UTC(2026, 0, 1) + run * 1_000_000_000;

const organisationId = 'org-crash';
const [admin, team, recovery] = await Promise.all([
  generateSigningKeyPair(),
  generateKeyPair(),
  generateKeyPair(),
]);
const epoch = await newEpoch({
  organisationId,
  previousEpoch: 0,
  memberPublicJwks: [team.publicJwk],
  recoveryPublicJwk: recovery.publicJwk,
});
const manifest = {
  jws: await signManifest(
    {
      typ: 'vigil-key-manifest',
      organisationId,
      version: 1,
      issuedAt: new Date(Date.now() - 60_000).toISOString(),
      epoch: epoch.epoch,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: recovery.publicJwk,
      members: [{ kid: team.kid, publicJwk: team.publicJwk }],
    },
    admin.privateJwk,
  ),
  signingPublicJwk: admin.publicJwk,
  signingKeyFingerprint: admin.kid,
};
const device = await globalThis.crypto.subtle.generateKey(
  { name: 'ECDSA', namedCurve: 'P-256' },
  false,
  ['sign', 'verify'],
);
const telemetry = await Telemetry.open(
  {
    deviceId: '7d444840-9dc0-11d1-b245-5ffdce74fad2',
    // Only the manifest is fetched; nothing is uploaded (start() is not called).
    request: async (): Promise<TransportResponse> => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: new TextEncoder().encode(JSON.stringify(manifest)),
    }),
    signingKey: async () => device.privateKey,
    storage: new MemoryStorage(),
  },
  {
    outbox: { file, cap: { rows: 10_000_000 } },
    pseudonymSecret: Uint8Array.from({ length: 32 }, (_, i) => i + 1),
    expectedSigningKeyFingerprint: admin.kid,
  },
);

let count = 0;
await Promise.all(
  Array.from({ length: LANES }, async (_, lane) => {
    for (;;) {
      const marker = firstMarker + count * 1000;
      count += 1;
      const { sequence } = await telemetry.record(`MRN crash ${lane}`, [
        { kind: 'heart-rate', value: 60 + lane, effective: new Date(marker) },
      ]);
      // Synchronous write to the pipe: once printed, the parent holds us to it.
      writeSync(1, `${sequence} ${marker}\n`);
    }
  }),
);
