import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { openStore, type Store } from '@vigil/server';
import {
  POSTGRES_REQUIRED,
  TEST_DATABASE_URL,
  postgresUnavailable,
  runOnTestDatabase,
} from './postgres-probe.js';
import { createTempDir } from './temp-dir.js';

export type EngineName = Store['engine'];

/**
 * One empty place to keep a store: a temp data dir and, on PostgreSQL, a
 * schema of its own. Its fields are what `openStore`, `createBackup` and
 * `restoreBackup` take.
 */
export interface StoreTarget {
  readonly engine: EngineName;
  readonly dataDir: string;
  readonly databaseUrl: string | null;
  readonly postgresSchema: string | undefined;
  /** Opens a store here (again, after a close: migrations must then be a no-op). */
  open(): Promise<Store>;
  /** Closes the stores it opened, drops the schema and deletes the data dir. */
  dispose(): Promise<void>;
}

export interface TestEngine {
  readonly name: EngineName;
  /** Why this engine cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  /**
   * A fresh, empty target. On PostgreSQL the schema is random unless given
   * (e.g. to restore a backup into the schema it was taken from). A `shared`
   * target outlives `forEachEngine`'s disposal after each test, for a suite
   * whose tests share one store: dispose it yourself in `after`.
   */
  createTarget(options?: { postgresSchema?: string; shared?: boolean }): Promise<StoreTarget>;
  /** A store on a fresh target: `(await createTarget()).open()`. */
  open(): Promise<Store>;
  /** Disposes every target made so far; `forEachEngine` calls it after each test. */
  disposeAll(): Promise<void>;
}

/** Both engines: SQLite in a temp dir, PostgreSQL in a random schema of VIGIL_TEST_DATABASE_URL. */
export function engines(): TestEngine[] {
  return [makeEngine('sqlite'), makeEngine('postgres')];
}

/**
 * Declares the suite `body` once per engine, as `describe('<title> (sqlite)')`
 * and `describe('<title> (postgres)')`, and disposes each test's targets
 * after it. An unreachable PostgreSQL skips its suite with the reason, or
 * fails it when VIGIL_TEST_REQUIRE_POSTGRES=1.
 *
 * @example
 * forEachEngine('the store', (engine) => {
 *   it('counts users', async () => {
 *     const store = await engine.open();
 *     assert.equal(await store.countUsers(), 0);
 *   });
 * });
 */
export function forEachEngine(title: string, body: (engine: TestEngine) => void): void {
  for (const engine of engines()) {
    describe(`${title} (${engine.name})`, async () => {
      const reason = await engine.unavailable();
      if (reason !== undefined) {
        if (POSTGRES_REQUIRED) {
          it('needs PostgreSQL (VIGIL_TEST_REQUIRE_POSTGRES=1)', () => {
            throw new Error(reason);
          });
        } else {
          const hint =
            'set VIGIL_TEST_DATABASE_URL, or VIGIL_TEST_REQUIRE_POSTGRES=1 to fail instead';
          it(`runs on ${engine.name}`, { skip: `${reason}; ${hint}` }, () => undefined);
        }
        return;
      }
      afterEach(() => engine.disposeAll());
      body(engine);
    });
  }
}

function makeEngine(name: EngineName): TestEngine {
  const live = new Set<StoreTarget>();
  const engine: TestEngine = {
    name,
    unavailable: () => (name === 'postgres' ? postgresUnavailable() : Promise.resolve(undefined)),
    async createTarget(options = {}) {
      const target = await makeTarget(name, options.postgresSchema);
      if (options.shared !== true) live.add(target);
      return target;
    },
    async open() {
      return (await engine.createTarget()).open();
    },
    async disposeAll() {
      const targets = [...live];
      live.clear();
      await Promise.all(targets.map((t) => t.dispose()));
    },
  };
  return engine;
}

async function makeTarget(engine: EngineName, schema: string | undefined): Promise<StoreTarget> {
  const dir = await createTempDir(`vigil-${engine}-`);
  const postgresSchema =
    engine === 'postgres' ? (schema ?? `vigil_test_${randomBytes(6).toString('hex')}`) : undefined;
  const opened: Store[] = [];
  const location = {
    dataDir: dir.path,
    databaseUrl: engine === 'postgres' ? TEST_DATABASE_URL : null,
    postgresSchema,
  };
  return {
    engine,
    ...location,
    async open() {
      const store = await openStore(location);
      opened.push(store);
      return store;
    },
    async dispose() {
      // close() is idempotent, so stores a test already closed are fine.
      await Promise.all(opened.splice(0).map((s) => s.close()));
      if (postgresSchema !== undefined) {
        await runOnTestDatabase(`DROP SCHEMA IF EXISTS "${postgresSchema}" CASCADE`);
      }
      await dir.remove();
    },
  };
}
