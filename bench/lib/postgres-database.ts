import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database made for one benchmark run; `drop` removes it and everything in it. */
export interface BenchDatabase {
  /** `postgres://…/vigil_bench_<random>`: what the server is started with. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * The PostgreSQL server benchmarks use, as a URL to an existing database the
 * bench may connect to in order to create and drop its own
 * (`BENCH_POSTGRES_URL`, default the local server with trust authentication).
 */
export function postgresAdminUrl(): string {
  const url = process.env['BENCH_POSTGRES_URL'];
  return url === undefined || url === '' ? 'postgres://postgres@127.0.0.1:5432/postgres' : url;
}

/** Why PostgreSQL cannot be used (unreachable, no CREATE DATABASE right), or undefined. */
export async function postgresUnavailable(
  adminUrl = postgresAdminUrl(),
): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ allowed: boolean }>(
      'SELECT rolcreatedb OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user',
    );
    return rows[0]?.allowed === true ? undefined : 'the role may not create databases';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates an empty database `vigil_bench_<random>` for one run, so a benchmark
 * never touches another's data (nor the tests' `test` database). Drop it when
 * done, after the server using it has closed its connections.
 */
export async function createBenchDatabase(adminUrl = postgresAdminUrl()): Promise<BenchDatabase> {
  const name = `vigil_bench_${randomBytes(6).toString('hex')}`;
  await runStatement(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    name,
    // FORCE (PostgreSQL 13+): a connection the server failed to close must not keep the database.
    drop: () => runStatement(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

async function runStatement(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
