import { VigilError } from '@vigil/core/errors';
import { normalisePatientId } from './pseudonym.js';

/**
 * The re-identification table: pseudonym ↔ patient identifier, plus the short
 * display label (P1, P2, …) the server and dashboards show. GDPR Art. 4(5): this
 * is the "additional information" that must be kept separately — it stays on the
 * gateway, sealed (see pseudonym-table-sealing.ts). Pure: no I/O, no crypto.
 */

/** One row of the table. */
export interface PseudonymEntry {
  readonly pseudonym: string;
  /** Normalised (see normalisePatientId). */
  readonly patientId: string;
  /** "P1", "P2", … in order of first sight. */
  readonly label: string;
}

/** The stored form: entries in label order. */
export interface PseudonymTableJson {
  readonly version: 1;
  readonly entries: readonly PseudonymEntry[];
}

const PSEUDONYM = /^p[1-9][0-9]*_[a-z2-7]{32}$/;

/**
 * Maps pseudonyms to patients and hands out display labels in order of first sight.
 *
 * @example
 * const table = new PseudonymTable();
 * table.record(await pseudonymFor(key, 1, 'MRN 0042'), 'MRN 0042'); // → { label: 'P1', … }
 * const stored = JSON.stringify(table); // then seal it
 */
export class PseudonymTable {
  readonly #byPseudonym = new Map<string, PseudonymEntry>();
  readonly #byPatient = new Map<string, PseudonymEntry>();

  /** Number of patients seen. */
  get size(): number {
    return this.#byPseudonym.size;
  }

  /**
   * Records a sighting and returns the entry; a patient seen before keeps its label.
   * Refuses (ERR_PSEUDONYM_TABLE_INVALID) a pseudonym already bound to another patient.
   */
  record(pseudonym: string, patientId: string): PseudonymEntry {
    if (!PSEUDONYM.test(pseudonym)) {
      throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', 'Not a pseudonym made by pseudonymFor.');
    }
    const normalised = normalisePatientId(patientId);
    const known = this.#byPseudonym.get(pseudonym);
    if (known !== undefined) {
      if (known.patientId !== normalised) {
        throw new VigilError(
          'ERR_PSEUDONYM_TABLE_INVALID',
          'This pseudonym belongs to another patient.',
        );
      }
      return known;
    }
    const entry = { pseudonym, patientId: normalised, label: `P${this.size + 1}` };
    this.#byPseudonym.set(pseudonym, entry);
    // A patient can have one pseudonym per key version; the label follows the first.
    if (!this.#byPatient.has(normalised)) this.#byPatient.set(normalised, entry);
    return entry;
  }

  /** The entry of a pseudonym, or undefined. */
  byPseudonym(pseudonym: string): PseudonymEntry | undefined {
    return this.#byPseudonym.get(pseudonym);
  }

  /** The first entry recorded for a patient (any spelling of the id), or undefined. */
  byPatientId(patientId: string): PseudonymEntry | undefined {
    return this.#byPatient.get(normalisePatientId(patientId));
  }

  /** All entries in label order. */
  entries(): PseudonymEntry[] {
    return [...this.#byPseudonym.values()];
  }

  toJSON(): PseudonymTableJson {
    return { version: 1, entries: this.entries() };
  }

  /**
   * Rebuilds a table from {@link PseudonymTable.toJSON} output, checking it:
   * labels must run P1, P2, … without gaps, ids must be normalised.
   */
  static fromJSON(json: unknown): PseudonymTable {
    const data = json as Partial<PseudonymTableJson> | null;
    if (
      typeof data !== 'object' ||
      data === null ||
      data.version !== 1 ||
      !Array.isArray(data.entries)
    ) {
      throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', 'Not a version 1 pseudonym table.');
    }
    const table = new PseudonymTable();
    for (const [index, row] of data.entries.entries()) {
      const { pseudonym, patientId, label } = (row ?? {}) as Partial<PseudonymEntry>;
      if (typeof pseudonym !== 'string' || typeof patientId !== 'string') {
        throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', `Entry ${index} is malformed.`);
      }
      if (table.#byPseudonym.has(pseudonym)) {
        throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', `Entry ${index} repeats a pseudonym.`);
      }
      const entry = table.record(pseudonym, patientId);
      if (entry.label !== label || entry.patientId !== patientId) {
        throw new VigilError('ERR_PSEUDONYM_TABLE_INVALID', `Entry ${index} is out of order.`);
      }
    }
    return table;
  }
}
