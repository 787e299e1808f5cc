import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { vitalSignObservation } from '@vigil/protect';
import type { PulledReading } from '../../src/care/data-pull.js';
import { PATIENT_ID_SYSTEM, toCsv, toFhirBundle } from '../../src/care/readings-export.js';

const PSEUDONYM = 'p1_mfrggzdfmztwq2lknnwg23tpobyxe43u';
const DEVICE_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const AT = new Date('2026-11-29T08:00:00.000Z');

function reading(
  input:
    | { kind: 'heart-rate'; value: number }
    | {
        kind: 'blood-pressure';
        value: { systolic: number; diastolic: number };
      },
  patientId = 'MRN 0042',
): PulledReading {
  return {
    observation: vitalSignObservation({
      ...input,
      effective: AT,
      pseudonym: PSEUDONYM,
      deviceId: DEVICE_ID,
    }),
    pseudonym: PSEUDONYM,
    deviceId: DEVICE_ID,
    label: 'P1',
    patientId,
  };
}

const readings = [
  reading({ kind: 'heart-rate', value: 72 }),
  reading({ kind: 'blood-pressure', value: { systolic: 120, diastolic: 80 } }),
];
const options = { reidentify: false, uuid: randomUUID, now: AT };

describe('the CSV export', () => {
  it('writes one row per quantity in the documented columns, without identifiers', () => {
    assert.equal(
      toCsv(readings, options),
      [
        'pseudonym,label,kind,code,value,unit,effective,device',
        `${PSEUDONYM},P1,heart-rate,8867-4,72,/min,2026-11-29T08:00:00.000Z,${DEVICE_ID}`,
        `${PSEUDONYM},P1,blood-pressure,8480-6,120,mm[Hg],2026-11-29T08:00:00.000Z,${DEVICE_ID}`,
        `${PSEUDONYM},P1,blood-pressure,8462-4,80,mm[Hg],2026-11-29T08:00:00.000Z,${DEVICE_ID}`,
        '',
      ].join('\r\n'),
    );
  });

  it('adds patient_id only when re-identifying, quoted and defused against formulas', () => {
    const csv = toCsv([reading({ kind: 'heart-rate', value: 72 }, '=HYPERLINK("x"),1')], {
      ...options,
      reidentify: true,
    });
    const [header, row] = csv.split('\r\n');
    assert.match(header!, /,patient_id$/);
    assert.match(row!, /,"'=HYPERLINK\(""x""\),1"$/);
  });
});

describe('the FHIR export', () => {
  it('is a collection Bundle of the Observations with urn:uuid fullUrls and no Patient', () => {
    const bundle = toFhirBundle(readings, options) as {
      resourceType: string;
      type: string;
      entry: Array<{ fullUrl: string; resource: Record<string, unknown> }>;
    };
    assert.deepEqual([bundle.resourceType, bundle.type], ['Bundle', 'collection']);
    assert.equal(bundle.entry.length, 2);
    for (const entry of bundle.entry) {
      assert.match(entry.fullUrl, /^urn:uuid:[0-9a-f-]{36}$/);
      assert.equal(entry.resource['resourceType'], 'Observation');
    }
    assert.ok(!JSON.stringify(bundle).includes('MRN 0042'));
  });

  it('adds a Patient with the identifier, referenced by the Observations, only when re-identifying', () => {
    const bundle = toFhirBundle(readings, { ...options, reidentify: true }) as {
      entry: Array<{ fullUrl: string; resource: Record<string, unknown> }>;
    };
    const [patient, ...observations] = bundle.entry;
    assert.equal(patient?.resource['resourceType'], 'Patient');
    assert.deepEqual(patient?.resource['identifier'], [
      { system: 'urn:vigil:pseudonym', value: PSEUDONYM },
      { system: PATIENT_ID_SYSTEM, value: 'MRN 0042' },
    ]);
    for (const entry of observations) {
      assert.equal(
        (entry.resource['subject'] as { reference: string }).reference,
        patient?.fullUrl,
      );
    }
  });
});
