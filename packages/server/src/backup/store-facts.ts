import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { VigilError } from '@vigil/core';
import { STORE_TABLES, type Database, type StoreTable } from '../store/database.js';
import { readSchemaVersion } from '../store/migrations/migrate.js';

/** What a backup records about its snapshot and a restore checks again. */
export interface StoreFacts {
  readonly schemaVersion: number;
  readonly rowCounts: Readonly<Record<StoreTable, number>>;
}

/** Reads the facts through `db`, which for a consistent answer is a snapshot transaction or a copy. */
export async function readStoreFacts(db: Kysely<Database>): Promise<StoreFacts> {
  const rowCounts = {} as Record<StoreTable, number>;
  for (const table of STORE_TABLES) {
    const { rows } = await sql<{
      n: number | string;
    }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
    rowCounts[table] = Number(rows[0]?.n ?? 0);
  }
  return { schemaVersion: await readSchemaVersion(db), rowCounts };
}

/** Fails with ERR_BACKUP_INVALID unless the restored store has exactly what the manifest says. */
export function assertFactsMatch(restored: StoreFacts, expected: StoreFacts): void {
  if (restored.schemaVersion !== expected.schemaVersion) {
    throw new VigilError(
      'ERR_BACKUP_INVALID',
      `The restored schema version is ${restored.schemaVersion}, the backup says ${expected.schemaVersion}.`,
    );
  }
  if (!isDeepStrictEqual(restored.rowCounts, expected.rowCounts)) {
    throw new VigilError(
      'ERR_BACKUP_INVALID',
      'The restored row counts differ from the backup manifest.',
      {
        details: { restored: restored.rowCounts, expected: expected.rowCounts },
      },
    );
  }
}
