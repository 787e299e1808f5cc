import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { PseudonymTable, sealTableForStaff } from '@vigil/protect';
import type { TeamEpoch } from '@vigil/protect';
import type { SealedPseudonymTable } from '../../src/api/types.js';
import { patientLabels } from '../../src/telemetry/pseudonym-labels.js';
import {
  DEVICE_ID,
  FakeSource,
  ORGANISATION_ID,
  OTHER_DEVICE_ID,
  OTHER_PATIENT,
  PATIENT,
  clinicianKeyring,
  makeCareWorld,
  type CareWorld,
} from './care-world.js';

const THIRD_PATIENT = 'p1_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('patient labels from the gateways’ staff pseudonym tables', () => {
  let world: CareWorld;

  before(async () => {
    world = await makeCareWorld();
  });

  async function sealed(
    deviceId: string,
    rows: readonly [pseudonym: string, patientId: string][],
    epoch: TeamEpoch = world.epoch1,
  ): Promise<SealedPseudonymTable> {
    const table = new PseudonymTable();
    for (const [pseudonym, patientId] of rows) table.record(pseudonym, patientId);
    const jwe = await sealTableForStaff(table, {
      organisationId: ORGANISATION_ID,
      teamPublicJwk: epoch.teamKey.publicJwk,
      recoveryPublicJwk: world.recovery.publicJwk,
    });
    return { deviceId, version: 1, jwe };
  }

  it('labels each pseudonym P1, P2, … and keeps no patient identifier', async () => {
    const source = new FakeSource(world);
    const tables = [
      await sealed(DEVICE_ID, [
        [PATIENT, 'MRN-0042'],
        [OTHER_PATIENT, 'MRN-0043'],
      ]),
    ];
    const labels = await patientLabels(await clinicianKeyring(world, source), tables);
    assert.deepEqual(
      [...labels.byPseudonym],
      [
        [PATIENT, 'P1'],
        [OTHER_PATIENT, 'P2'],
      ],
    );
    assert.deepEqual(labels.failures, []);
    assert.doesNotMatch(JSON.stringify([...labels.byPseudonym]), /MRN/);
  });

  it('tells apart two patients that two gateways both call P1', async () => {
    const source = new FakeSource(world);
    const tables = [
      await sealed(OTHER_DEVICE_ID, [[THIRD_PATIENT, 'MRN-0099']]),
      await sealed(DEVICE_ID, [
        [PATIENT, 'MRN-0042'],
        [OTHER_PATIENT, 'MRN-0043'],
      ]),
    ];
    const { byPseudonym } = await patientLabels(await clinicianKeyring(world, source), tables);
    assert.equal(byPseudonym.get(PATIENT), `P1 · ${DEVICE_ID.slice(0, 8)}`);
    assert.equal(byPseudonym.get(THIRD_PATIENT), `P1 · ${OTHER_DEVICE_ID.slice(0, 8)}`);
    assert.equal(byPseudonym.get(OTHER_PATIENT), 'P2');
  });

  it('reports a table sealed to an epoch the clinician lacks, and labels the rest', async () => {
    const source = new FakeSource(world);
    const tables = [
      await sealed(DEVICE_ID, [[PATIENT, 'MRN-0042']]),
      await sealed(OTHER_DEVICE_ID, [[OTHER_PATIENT, 'MRN-0043']], world.epoch2),
    ];
    const labels = await patientLabels(await clinicianKeyring(world, source), tables);
    assert.deepEqual([...labels.byPseudonym], [[PATIENT, 'P1']]);
    assert.deepEqual(
      labels.failures.map((f) => [f.deviceId, f.failure.code]),
      [[OTHER_DEVICE_ID, 'ERR_PROTECT_NOT_A_RECIPIENT']],
    );
  });
});
