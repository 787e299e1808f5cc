import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { mapStoreErrors } from './store-errors.js';

/**
 * Wraps a Kysely dialect so that every driver failure (connect, query, begin,
 * commit) leaves as a coded `VigilError` where one applies. Doing it at the
 * driver keeps the query code free of try/catch and covers migrations and
 * backups, which use the same connection.
 */
export class ErrorMappingDialect implements Dialect {
  readonly #inner: Dialect;

  constructor(inner: Dialect) {
    this.#inner = inner;
  }

  createDriver(): Driver {
    return new ErrorMappingDriver(this.#inner.createDriver());
  }

  createQueryCompiler(): QueryCompiler {
    return this.#inner.createQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return this.#inner.createAdapter();
  }

  // Kysely's own Dialect interface types this parameter as Kysely<any>.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.#inner.createIntrospector(db);
  }
}

class ErrorMappingConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return mapStoreErrors(() => this.inner.executeQuery<R>(query));
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** The inner driver must get back the connection object it created. */
function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof ErrorMappingConnection ? connection.inner : connection;
}

class ErrorMappingDriver implements Driver {
  readonly #inner: Driver;

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return mapStoreErrors(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ErrorMappingConnection(await mapStoreErrors(() => this.#inner.acquireConnection()));
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return mapStoreErrors(() => this.#inner.beginTransaction(unwrap(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return mapStoreErrors(() => this.#inner.commitTransaction(unwrap(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return mapStoreErrors(() => this.#inner.rollbackTransaction(unwrap(connection)));
  }

  savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const savepoint = this.#inner.savepoint?.bind(this.#inner);
    if (!savepoint) throw new Error('This driver does not support savepoints.');
    return mapStoreErrors(() => savepoint(unwrap(connection), name, compile));
  }

  rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const rollbackToSavepoint = this.#inner.rollbackToSavepoint?.bind(this.#inner);
    if (!rollbackToSavepoint) throw new Error('This driver does not support savepoints.');
    return mapStoreErrors(() => rollbackToSavepoint(unwrap(connection), name, compile));
  }

  releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const releaseSavepoint = this.#inner.releaseSavepoint?.bind(this.#inner);
    if (!releaseSavepoint) throw new Error('This driver does not support savepoints.');
    return mapStoreErrors(() => releaseSavepoint(unwrap(connection), name, compile));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
