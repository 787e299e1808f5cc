import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { forEachEngine, tempDir, type StoreTarget } from '@vigil/testkit';
import { LATEST_SCHEMA_VERSION, openStore, type StoreLogger } from '../../src/store/index.js';
import { MIGRATION_TABLE, readSchemaVersion } from '../../src/store/migrations/migrate.js';
import { openDatabase } from '../../src/store/open-database.js';
import { PAGE_SIZE, sqliteFileOf } from '../../src/store/sqlite/sqlite-dialect.js';
import { NOW, manufacturer, person } from './fixtures.js';

function recordingLogger(): StoreLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (_fields, message) => lines.push(message),
    warn: (_fields, message) => lines.push(message),
  };
}

async function schemaVersionOf(target: StoreTarget): Promise<number> {
  const { db } = await openDatabase(target);
  try {
    return await readSchemaVersion(db);
  } finally {
    await db.destroy();
  }
}

forEachEngine('the store: lifecycle', (engine) => {
  describe('when a store is opened again', () => {
    it('keeps its data and applies no migration twice', async () => {
      const target = await engine.createTarget();
      const firstLog = recordingLogger();
      const first = await openStore({ ...target, logger: firstLog });
      await person(first, 'ann@maker.example');
      await first.close();
      assert.deepEqual(firstLog.lines, ['Applied database migrations']);

      const againLog = recordingLogger();
      const again = await openStore({ ...target, logger: againLog });
      try {
        assert.deepEqual(againLog.lines, [], 'nothing to migrate');
        assert.equal(await again.countUsers(), 1);
      } finally {
        await again.close();
      }
      assert.equal(await schemaVersionOf(target), LATEST_SCHEMA_VERSION);
    });

    it('migrates once when two processes open a fresh database at the same time', async () => {
      const target = await engine.createTarget();
      const [a, b] = await Promise.all([target.open(), target.open()]);
      await person(a, 'ann@maker.example');
      assert.equal(await b.countUsers(), 1);
      assert.equal(await schemaVersionOf(target), LATEST_SCHEMA_VERSION);
    });
  });

  describe('when the database was migrated by a newer Vigil', () => {
    it('refuses to open it with ERR_STORE_MIGRATION_FAILED', async () => {
      const target = await engine.createTarget();
      await (await target.open()).close();
      const { db } = await openDatabase(target);
      await db
        .withTables<{ [MIGRATION_TABLE]: { version: number; name: string; applied_at: number } }>()
        .insertInto(MIGRATION_TABLE)
        .values({ version: LATEST_SCHEMA_VERSION + 1, name: 'from-the-future', applied_at: NOW })
        .execute();
      await db.destroy();
      await assert.rejects(target.open(), { code: 'ERR_STORE_MIGRATION_FAILED' });
    });
  });

  describe('when work runs in a transaction', () => {
    it('commits everything the function did when it returns', async () => {
      const store = await engine.open();
      const result = await store.transaction(async (tx) => {
        const maker = await manufacturer(tx);
        const ann = await person(tx, 'ann@maker.example');
        await tx.addMembership({
          userId: ann.id,
          organisationId: maker.id,
          role: 'admin',
          now: NOW,
        });
        return maker.id;
      });
      assert.equal((await store.listMembersOfOrganisation(result)).length, 1);
    });

    it('rolls everything back and rethrows when the function throws', async () => {
      const store = await engine.open();
      const failure = new Error('the password was refused');
      await assert.rejects(
        store.transaction(async (tx) => {
          await person(tx, 'ann@maker.example');
          await tx.appendAuditEvent(
            {
              type: 'user.created',
              outcome: 'success',
              organisationId: null,
              actor: { kind: 'system' },
            },
            NOW,
          );
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.equal(await store.countUsers(), 0);
      assert.deepEqual(await store.listAllAuditEvents(0, 10), []);
    });

    it('reuses the transaction for a nested call, so an inner failure undoes the outer work', async () => {
      const store = await engine.open();
      await assert.rejects(
        store.transaction(async (tx) => {
          await person(tx, 'ann@maker.example');
          await tx.transaction(async (inner) => {
            assert.equal(inner, tx);
            await person(inner, 'bob@maker.example');
          });
          await person(tx, 'ANN@maker.example');
        }),
        { code: 'ERR_USER_EXISTS' },
      );
      assert.equal(await store.countUsers(), 0);
    });
  });

  describe('when the store is asked if it is alive', () => {
    it('answers ping, and close ends it', async () => {
      const store = await engine.open();
      await store.ping();
      await store.close();
      await assert.rejects(store.ping());
    });
  });
});

describe('opening a store', () => {
  describe('when PostgreSQL cannot be reached', () => {
    it('fails with ERR_STORE_UNAVAILABLE', async (t) => {
      const dataDir = await tempDir(t);
      // Port 1 (tcpmux) is never a PostgreSQL server; the connection is refused at once.
      await assert.rejects(
        openStore({ dataDir, databaseUrl: 'postgres://vigil@127.0.0.1:1/vigil' }),
        {
          code: 'ERR_STORE_UNAVAILABLE',
        },
      );
    });
  });

  describe('when the PostgreSQL schema name is not a plain identifier', () => {
    it('fails with ERR_CONFIG_INVALID before connecting', async (t) => {
      const dataDir = await tempDir(t);
      await assert.rejects(
        openStore({
          dataDir,
          databaseUrl: 'postgres://vigil@127.0.0.1:1/vigil',
          postgresSchema: 'a"; DROP',
        }),
        { code: 'ERR_CONFIG_INVALID' },
      );
    });
  });

  describe('when SQLite is used and the data directory does not exist', () => {
    it('creates it readable by the owner only, with the database inside', async (t) => {
      const dataDir = join(await tempDir(t), 'var');
      const store = await openStore({ dataDir, databaseUrl: null });
      await store.close();
      assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
      assert.ok((await stat(join(dataDir, 'vigil.sqlite'))).isFile());
    });

    it('makes the new file with 16 KiB pages, and an existing file keeps its own', async (t) => {
      const dataDir = await tempDir(t);
      const pageSizeOf = (file: string): number => {
        const db = new Database(file, { readonly: true });
        try {
          return db.pragma('page_size', { simple: true }) as number;
        } finally {
          db.close();
        }
      };
      const store = await openStore({ dataDir, databaseUrl: null });
      await person(store, 'ann@maker.example');
      await store.close();
      assert.equal(pageSizeOf(sqliteFileOf(dataDir)), PAGE_SIZE);
      assert.equal(PAGE_SIZE, 16_384);

      const olderDir = await tempDir(t);
      const older = new Database(sqliteFileOf(olderDir));
      older.exec('CREATE TABLE made_by_an_older_version (id INTEGER PRIMARY KEY)');
      older.close();
      const reopened = await openStore({ dataDir: olderDir, databaseUrl: null });
      await reopened.close();
      assert.equal(pageSizeOf(sqliteFileOf(olderDir)), 4_096);
    });
  });
});
