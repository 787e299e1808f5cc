import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  derivePseudonymKey,
  normalisePatientId,
  PseudonymTable,
  pseudonymFor,
} from '@vigil/protect';

const secretA = new Uint8Array(32).fill(7);
const secretB = new Uint8Array(32).fill(8);
const PSEUDONYM_V1 = /^p1_[a-z2-7]{32}$/;

function hasCode(code: string) {
  return (error: unknown) => (error as { code?: string }).code === code;
}

describe('keyed pseudonyms (GDPR Art. 4(5), ISO 25237)', () => {
  describe('when the same patient is seen again', () => {
    it('gives the same pseudonym for the same domain and version', async () => {
      const key1 = await derivePseudonymKey(secretA, 'telemetry', 1);
      const key2 = await derivePseudonymKey(secretA, 'telemetry', 1);
      const first = await pseudonymFor(key1, 1, 'MRN 0042');
      assert.match(first, PSEUDONYM_V1);
      assert.equal(await pseudonymFor(key2, 1, 'MRN 0042'), first);
    });

    it('treats "  mrn 0042 " and "MRN 0042" as the same patient', async () => {
      const key = await derivePseudonymKey(secretA, 'telemetry', 1);
      assert.equal(normalisePatientId('  mrn \u00a0 0042 '), 'MRN 0042');
      assert.equal(normalisePatientId('ＭＲＮ　００４２'), 'MRN 0042'); // full-width, NFKC
      assert.equal(
        await pseudonymFor(key, 1, '  mrn 0042 '),
        await pseudonymFor(key, 1, 'MRN 0042'),
      );
    });
  });

  describe('when organisation, domain or version differ', () => {
    it('gives unrelated pseudonyms', async () => {
      const base = await pseudonymFor(
        await derivePseudonymKey(secretA, 'telemetry', 1),
        1,
        'MRN 1',
      );
      const otherOrg = await pseudonymFor(
        await derivePseudonymKey(secretB, 'telemetry', 1),
        1,
        'MRN 1',
      );
      const otherDomain = await pseudonymFor(
        await derivePseudonymKey(secretA, 'study-7', 1),
        1,
        'MRN 1',
      );
      const otherVersion = await pseudonymFor(
        await derivePseudonymKey(secretA, 'telemetry', 2),
        2,
        'MRN 1',
      );
      assert.equal(new Set([base, otherOrg, otherDomain, otherVersion]).size, 4);
      assert.match(otherVersion, /^p2_[a-z2-7]{32}$/);
      assert.notEqual(base.slice(3), otherVersion.slice(3));
    });
  });

  describe('when the inputs are unusable', () => {
    it('refuses an empty patient id with ERR_PSEUDONYM_ID_INVALID', async () => {
      const key = await derivePseudonymKey(secretA, 'telemetry', 1);
      assert.throws(() => normalisePatientId(' \t '), hasCode('ERR_PSEUDONYM_ID_INVALID'));
      await assert.rejects(pseudonymFor(key, 1, ''), hasCode('ERR_PSEUDONYM_ID_INVALID'));
    });

    it('refuses a short secret, a bad domain or version with ERR_PROTECT_PARAMETERS_INVALID', async () => {
      const invalid = hasCode('ERR_PROTECT_PARAMETERS_INVALID');
      await assert.rejects(derivePseudonymKey(new Uint8Array(31), 'telemetry', 1), invalid);
      await assert.rejects(derivePseudonymKey(secretA, 'a/b', 1), invalid);
      await assert.rejects(derivePseudonymKey(secretA, '', 1), invalid);
      await assert.rejects(derivePseudonymKey(secretA, 'telemetry', 0), invalid);
    });

    it('makes a non-extractable key', async () => {
      const key = await derivePseudonymKey(secretA, 'telemetry', 1);
      assert.equal(key.extractable, false);
    });
  });

  it('never collides for distinct normalised ids (property)', async () => {
    const key = await derivePseudonymKey(secretA, 'telemetry', 1);
    const ids = fc.sample(
      fc.string({ minLength: 1, maxLength: 24 }).filter((s) => s.trim().length > 0),
      { numRuns: 3000, seed: 42 },
    );
    const byPseudonym = new Map<string, string>();
    for (const id of ids) {
      const normalised = normalisePatientId(id);
      const pseudonym = await pseudonymFor(key, 1, id);
      assert.match(pseudonym, PSEUDONYM_V1);
      const previous = byPseudonym.get(pseudonym);
      assert.ok(
        previous === undefined || previous === normalised,
        `${id} collides with ${previous}`,
      );
      byPseudonym.set(pseudonym, normalised);
    }
    assert.ok(byPseudonym.size > 1000);
  });
});

describe('the pseudonym table', () => {
  const p = (n: number): string => `p1_${'a'.repeat(31)}${'abcdefgh'[n]}`;

  it('labels patients P1, P2 in order of first sight and keeps labels on re-sight', () => {
    const table = new PseudonymTable();
    assert.equal(table.record(p(0), 'mrn 1').label, 'P1');
    assert.equal(table.record(p(1), 'MRN 2').label, 'P2');
    assert.equal(table.record(p(0), ' MRN  1 ').label, 'P1');
    assert.equal(table.record(p(2), 'MRN 3').label, 'P3');
    assert.equal(table.size, 3);
    assert.equal(table.byPatientId('mrn 2')?.pseudonym, p(1));
    assert.equal(table.byPseudonym(p(2))?.patientId, 'MRN 3');
  });

  it('round-trips through JSON', () => {
    const table = new PseudonymTable();
    table.record(p(0), 'MRN 1');
    table.record(p(1), 'MRN 2');
    const copy = PseudonymTable.fromJSON(JSON.parse(JSON.stringify(table)));
    assert.deepEqual(copy.entries(), table.entries());
    assert.equal(copy.record(p(3), 'MRN 4').label, 'P3');
  });

  describe('when the input is inconsistent', () => {
    it('refuses a pseudonym bound to another patient with ERR_PSEUDONYM_TABLE_INVALID', () => {
      const table = new PseudonymTable();
      table.record(p(0), 'MRN 1');
      assert.throws(() => table.record(p(0), 'MRN 2'), hasCode('ERR_PSEUDONYM_TABLE_INVALID'));
    });

    it('refuses stored JSON with gaps, duplicates or junk with ERR_PSEUDONYM_TABLE_INVALID', () => {
      const invalid = hasCode('ERR_PSEUDONYM_TABLE_INVALID');
      const row = (n: number, label: string) => ({ pseudonym: p(n), patientId: `MRN ${n}`, label });
      assert.throws(
        () => PseudonymTable.fromJSON({ version: 1, entries: [row(0, 'P2')] }),
        invalid,
      );
      assert.throws(
        () => PseudonymTable.fromJSON({ version: 1, entries: [row(0, 'P1'), row(0, 'P2')] }),
        invalid,
      );
      assert.throws(() => PseudonymTable.fromJSON({ version: 2, entries: [] }), invalid);
      assert.throws(() => PseudonymTable.fromJSON(null), invalid);
    });
  });
});
