import { sql, type Kysely } from 'kysely';
import type { Database, StoreEngine } from './database.js';
import { apiTokenQueries } from './queries/api-token-queries.js';
import { auditQueries } from './queries/audit-queries.js';
import { batchQueries } from './queries/batch-queries.js';
import { deviceCaQueries } from './queries/device-ca-queries.js';
import { deviceRegistryQueries } from './queries/device-registry-queries.js';
import { keyValueQueries } from './queries/key-value-queries.js';
import { organisationQueries } from './queries/organisation-queries.js';
import { sessionQueries } from './queries/session-queries.js';
import { singleUseTokenQueries } from './queries/single-use-token-queries.js';
import { telemetryKeyQueries } from './queries/telemetry-key-queries.js';
import { userQueries } from './queries/user-queries.js';
import type { Store } from './store.js';

/**
 * The one implementation of `Store`, shared by both engines: only the Kysely
 * dialect under `db` differs (see `sqlite/` and `postgres/`). The queries are
 * grouped by entity in `queries/`; this assembles them and adds the
 * lifecycle (transactions, ping, close).
 *
 * A store built on a transaction runs every call in it, and nested
 * `transaction()` calls simply reuse it. Inside `fn`, use only `tx`: on
 * SQLite the transaction holds the single connection, so a call through the
 * outer store would wait for it for ever.
 *
 * @example
 * const store = createKyselyStore(db, 'sqlite');
 * await store.transaction(async (tx) => {
 *   const user = await tx.createUser({ email, name, passwordHash: null, now });
 *   await tx.addMembership({ userId: user.id, organisationId, role: 'auditor', now });
 * });
 */
export function createKyselyStore(db: Kysely<Database>, engine: StoreEngine): Store {
  const store: Store = {
    engine,

    transaction(fn) {
      return db.isTransaction
        ? fn(store)
        : db.transaction().execute((trx) => fn(createKyselyStore(trx, engine)));
    },

    ...organisationQueries(db),
    ...userQueries(db),
    ...sessionQueries(db),
    ...apiTokenQueries(db),
    ...singleUseTokenQueries(db),
    ...keyValueQueries(db),
    ...auditQueries(db, engine),
    ...deviceCaQueries(db),
    ...deviceRegistryQueries(db),
    ...telemetryKeyQueries(db),
    ...batchQueries(db),

    async ping() {
      await sql`SELECT 1`.execute(db);
    },

    async close() {
      if (db.isTransaction) {
        throw new Error(
          'close() belongs to the store that opened the connection, not a transaction.',
        );
      }
      await db.destroy();
    },
  };
  return store;
}
