import pg from 'pg';

/** The database PostgreSQL tests use; each test gets its own schema in it. */
export const TEST_DATABASE_URL =
  process.env['VIGIL_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Set to 1 (CI) to make PostgreSQL tests fail, not skip, when the database is unreachable. */
export const POSTGRES_REQUIRED = process.env['VIGIL_TEST_REQUIRE_POSTGRES'] === '1';

/** How long to wait for the test database before calling it unreachable, in ms. */
const PROBE_TIMEOUT_MS = 3_000;

let probe: Promise<string | undefined> | undefined;

/**
 * Why PostgreSQL tests cannot run here, or undefined when they can. Probed
 * once per process: a developer without PostgreSQL gets one clear skip
 * message per suite instead of a wall of connection errors.
 */
export function postgresUnavailable(): Promise<string | undefined> {
  probe ??= (async () => {
    const client = new pg.Client({
      connectionString: TEST_DATABASE_URL,
      connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `PostgreSQL at ${redact(TEST_DATABASE_URL)} is unreachable (${reason})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

/** Runs one statement on the test database with a short-lived connection. */
export async function runOnTestDatabase(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
