import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  DATA_KEY_JWE_TYPE,
  generateKeyPair,
  newDataKey,
  openBatch,
  protectBatch,
  unwrapDataKey,
  unwrapTeamKey,
} from '@vigil/protect';
import {
  ORGANISATION_ID,
  batchInput,
  hasCode,
  makeWorld,
  readerOptions,
  type World,
} from './fixtures.js';

describe('the epoch data key', () => {
  let world: World;
  let batch: string;
  before(async () => {
    world = await makeWorld();
    batch = await protectBatch(batchInput(world));
  });

  it('is wrapped once, to the team key and the recovery key, with its context in the header', () => {
    const header = decodeProtectedHeader(world.dataKey.wrapped);
    assert.equal(header.typ, DATA_KEY_JWE_TYPE);
    assert.equal(header['organisationId'], ORGANISATION_ID);
    assert.equal(header['epoch'], 1);
    assert.equal(header['dataKid'], world.dataKey.kid);
    assert.equal(world.dataKey.wrapped.recipients.length, 2);
  });

  it('cannot be exported from the gateway', () => {
    assert.equal(world.dataKey.key.extractable, false);
  });

  it('opens for a team member through the team key, and the batch decrypts', async () => {
    const context = { organisationId: ORGANISATION_ID, epoch: 1 };
    const team = await unwrapTeamKey(world.epoch.wrapped, world.alice.privateJwk, context);
    const dataKey = await unwrapDataKey(world.dataKey.wrapped, team, context);
    assert.equal(dataKey.kid, world.dataKey.kid);
    const opened = await openBatch(batch, readerOptions(world, dataKey.key));
    assert.equal(opened.sequence, 7);
  });

  it('opens with the recovery key', async () => {
    const dataKey = await unwrapDataKey(world.dataKey.wrapped, world.recovery.privateJwk, {
      organisationId: ORGANISATION_ID,
      epoch: 1,
      kid: world.dataKey.kid,
    });
    const opened = await openBatch(batch, readerOptions(world, dataKey.key));
    assert.equal(opened.observations.length, 3);
  });

  it('refuses a key that is not a recipient with ERR_PROTECT_NOT_A_RECIPIENT', async () => {
    const stranger = await generateKeyPair();
    await assert.rejects(
      unwrapDataKey(world.dataKey.wrapped, stranger.privateJwk, {
        organisationId: ORGANISATION_ID,
        epoch: 1,
      }),
      hasCode('ERR_PROTECT_NOT_A_RECIPIENT'),
    );
  });

  it('refuses another epoch, organisation or kid with ERR_PROTECT_KEY_MISMATCH', async () => {
    for (const expected of [
      { organisationId: ORGANISATION_ID, epoch: 2 },
      { organisationId: 'org-2', epoch: 1 },
      { organisationId: ORGANISATION_ID, epoch: 1, kid: 'dk_AAAAAAAAAAAAAAAAAAAAAA' },
    ]) {
      await assert.rejects(
        unwrapDataKey(world.dataKey.wrapped, world.recovery.privateJwk, expected),
        hasCode('ERR_PROTECT_KEY_MISMATCH'),
      );
    }
  });

  it('refuses a team key wrapped as if it were a data key', async () => {
    await assert.rejects(
      unwrapDataKey(world.epoch.wrapped, world.recovery.privateJwk, {
        organisationId: ORGANISATION_ID,
        epoch: 1,
      }),
      hasCode('ERR_PROTECT_KEY_MISMATCH'),
    );
  });

  it('a batch under a data key of another epoch does not open with this one', async () => {
    const next = await newDataKey({
      organisationId: ORGANISATION_ID,
      epoch: 2,
      teamPublicJwk: world.epoch.teamKey.publicJwk,
      recoveryPublicJwk: world.recovery.publicJwk,
    });
    assert.notEqual(next.kid, world.dataKey.kid);
    const other = await protectBatch(batchInput(world, { dataKey: next }));
    await assert.rejects(openBatch(other, readerOptions(world)), hasCode('ERR_BATCH_KEY_UNKNOWN'));
    // Even under the kid it expects, the wrong key does not decrypt.
    const options = { ...readerOptions(world), dataKeys: () => next.key };
    await assert.rejects(openBatch(batch, options), hasCode('ERR_BATCH_DECRYPTION_FAILED'));
  });
});
