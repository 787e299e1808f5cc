import { randomBytes } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from '@vigil/testkit';
import type { Corpus, Part } from './byte-search.js';

/** A place's bytes, or why they could not be read (the test decides whether that fails). */
export type Readable = { readonly corpus: Corpus } | { readonly unreadable: string };

/** How the test reads files of the PostgreSQL data directory. */
interface FileAccess {
  readonly how: string;
  list(dir: string): Promise<string[]>;
  /** `path` relative to the data directory; a byte range, or the whole file. */
  read(path: string, range?: { readonly offset: number; readonly length: number }): Promise<Buffer>;
}

/** Same-machine PostgreSQL: the files themselves (the tests run as root in CI). */
function fileSystemAccess(dataDirectory: string): FileAccess {
  return {
    how: `the file system (${dataDirectory})`,
    list: (dir) => readdir(join(dataDirectory, dir)),
    async read(path, range) {
      const handle = await open(join(dataDirectory, path), 'r');
      try {
        if (range === undefined) return await handle.readFile();
        const buffer = Buffer.alloc(range.length);
        const { bytesRead } = await handle.read(buffer, 0, range.length, range.offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

/** PostgreSQL elsewhere (a CI service container): the same bytes through the server's own file functions. */
function sqlAccess(client: pg.Client): FileAccess {
  return {
    how: 'pg_ls_dir / pg_read_binary_file',
    async list(dir) {
      const { rows } = await client.query<{ name: string }>('SELECT pg_ls_dir($1) AS name', [dir]);
      return rows.map((r) => r.name);
    },
    async read(path, range) {
      const { rows } =
        range === undefined
          ? await client.query<{ data: Buffer }>('SELECT pg_read_binary_file($1) AS data', [path])
          : await client.query<{ data: Buffer }>('SELECT pg_read_binary_file($1, $2, $3) AS data', [
              path,
              range.offset,
              range.length,
            ]);
      return rows[0]?.data ?? Buffer.alloc(0);
    },
  };
}

function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

const hex8 = (n: bigint) => n.toString(16).toUpperCase().padStart(8, '0');

/**
 * A database of its own for one run of the canary test, so that its directory
 * under `base/` holds this run's data and nothing else; and the WAL the
 * cluster wrote meanwhile. The server under test reaches it through `url`.
 */
export class CanaryDatabase {
  readonly name: string;
  readonly #admin: pg.Client;
  readonly #oid: number;
  readonly #startLsn: bigint;

  private constructor(name: string, admin: pg.Client, oid: number, startLsn: bigint) {
    this.name = name;
    this.#admin = admin;
    this.#oid = oid;
    this.#startLsn = startLsn;
  }

  static async create(): Promise<CanaryDatabase> {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      const name = `vigil_canary_${randomBytes(6).toString('hex')}`;
      const quoted = admin.escapeIdentifier(name);
      // FILE_COPY (PostgreSQL 15+) copies the template without logging it page by page, and
      // its checkpoint restarts checkpoint_timeout: this run's WAL stays small and unrecycled.
      await admin.query(`CREATE DATABASE ${quoted} STRATEGY = FILE_COPY`).catch(async () => {
        await admin.query(`CREATE DATABASE ${quoted}`);
      });
      // A temporary slot keeps the cluster from recycling this run's WAL before it is read,
      // even if something else checkpoints meanwhile; it goes with this session. Best effort:
      // without replication rights the FILE_COPY checkpoint above makes recycling unlikely.
      await admin
        .query('SELECT pg_create_physical_replication_slot($1, true, true)', [name])
        .catch(() => undefined);
      const { rows } = await admin.query<{ oid: number; lsn: string }>(
        'SELECT oid::int AS oid, pg_current_wal_insert_lsn()::text AS lsn FROM pg_database WHERE datname = $1',
        [name],
      );
      const row = rows[0];
      if (row === undefined) throw new Error(`${name} was not created`);
      return new CanaryDatabase(name, admin, row.oid, parseLsn(row.lsn));
    } catch (error) {
      await admin.end();
      throw error;
    }
  }

  /** The URL of this database, at `via` (host:port of a recorder in front of PostgreSQL) if given. */
  url(via?: { readonly host: string; readonly port: number }): string {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${this.name}`;
    if (via !== undefined) {
      url.hostname = via.host;
      url.port = String(via.port);
    }
    return url.href;
  }

  /** Where PostgreSQL listens (what a recorder forwards to). */
  static target(): { host: string; port: number } {
    const url = new URL(TEST_DATABASE_URL);
    return { host: url.hostname || '127.0.0.1', port: Number(url.port || 5432) };
  }

  /**
   * The WAL from this database's creation to now: every record the cluster
   * wrote meanwhile (tuples as inserted, full-page images). Read before any
   * CHECKPOINT of ours, which could recycle the segments.
   */
  async walSinceCreation(): Promise<Readable> {
    const access = await this.#access();
    if ('unreadable' in access) return access;
    const settings = await this.#admin.query<{
      seg: string;
      block: string;
      end: string;
      file: string;
    }>(
      `SELECT current_setting('wal_segment_size') AS seg, current_setting('wal_block_size') AS block,
              pg_current_wal_flush_lsn()::text AS end, pg_walfile_name($1::pg_lsn) AS file`,
      [`${(this.#startLsn >> 32n).toString(16)}/${(this.#startLsn & 0xffffffffn).toString(16)}`],
    );
    const s = settings.rows[0]!;
    const segmentSize = BigInt(parseSize(s.seg));
    const blockSize = BigInt(s.block);
    const timeline = s.file.slice(0, 8);
    const end = parseLsn(s.end);
    const perId = 0x1_0000_0000n / segmentSize;
    const parts: Part[] = [];
    for (let segment = this.#startLsn / segmentSize; segment <= end / segmentSize; segment++) {
      const first = segment * segmentSize;
      const from = segment === this.#startLsn / segmentSize ? this.#startLsn - first : 0n;
      const pageStart = from - (from % blockSize);
      const to = segment === end / segmentSize ? end - first : segmentSize;
      if (to <= pageStart) continue;
      const file = `pg_wal/${timeline}${hex8(segment / perId)}${hex8(segment % perId)}`;
      const bytes = await access.files.read(file, {
        offset: Number(pageStart),
        length: Number(to - pageStart),
      });
      // XLogPageHeaderData.xlp_pageaddr: a recycled segment would hold another address.
      const pageAddress = bytes.length >= 16 ? bytes.readBigUInt64LE(8) : -1n;
      if (pageAddress !== first + pageStart) {
        throw new Error(`${file} no longer holds this run's WAL (page address ${pageAddress})`);
      }
      parts.push({ label: `${file} [${pageStart}, ${to})`, bytes });
    }
    return { corpus: { name: `PostgreSQL WAL (${access.files.how})`, parts } };
  }

  /** CHECKPOINT, then every file of the database's directory `base/<oid>`: tables, TOAST, indexes, maps. */
  async filesAfterCheckpoint(): Promise<Readable> {
    await this.#admin.query('CHECKPOINT');
    const access = await this.#access();
    if ('unreadable' in access) return access;
    const dir = `base/${this.#oid}`;
    const parts: Part[] = [];
    for (const name of (await access.files.list(dir)).sort()) {
      parts.push({ label: `${dir}/${name}`, bytes: await access.files.read(`${dir}/${name}`) });
    }
    return { corpus: { name: `PostgreSQL files (${access.files.how})`, parts } };
  }

  /**
   * Every row of every table as `row_to_json` text: what the pages hold after
   * TOAST decompression (pglz could hide a long, repetitive value in the files).
   */
  async rowsAsJson(): Promise<Corpus> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'm')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg_toast%'
          ORDER BY 1, 2`,
      );
      const parts: Part[] = [];
      for (const { schema, name } of tables) {
        const table = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
        const { rows } = await client.query<{ row: string }>(
          `SELECT row_to_json(t)::text AS row FROM ${table} t`,
        );
        parts.push({
          label: `rows of ${schema}.${name}`,
          bytes: Buffer.from(rows.map((r) => r.row).join('\n')),
        });
      }
      return { name: 'PostgreSQL rows', parts };
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    try {
      await this.#admin.query(
        `DROP DATABASE IF EXISTS ${this.#admin.escapeIdentifier(this.name)} WITH (FORCE)`,
      );
    } finally {
      await this.#admin.end();
    }
  }

  #chosen: Promise<{ files: FileAccess } | { unreadable: string }> | undefined;

  /** The data directory's files directly when they are here and readable, else through SQL. */
  #access(): Promise<{ files: FileAccess } | { unreadable: string }> {
    this.#chosen ??= (async () => {
      const dir = `base/${this.#oid}`;
      const failures: string[] = [];
      try {
        const { rows } = await this.#admin.query<{ dir: string }>(
          "SELECT current_setting('data_directory') AS dir",
        );
        const local = fileSystemAccess(rows[0]?.dir ?? '');
        await local.list(dir);
        return { files: local };
      } catch (error) {
        failures.push(`file system: ${(error as Error).message}`);
      }
      try {
        const remote = sqlAccess(this.#admin);
        await remote.list(dir);
        return { files: remote };
      } catch (error) {
        failures.push(`SQL: ${(error as Error).message}`);
      }
      return { unreadable: `cannot read ${dir} of the data directory (${failures.join('; ')})` };
    })();
    return this.#chosen;
  }
}

/** `16MB` (current_setting) in bytes. */
function parseSize(text: string): number {
  const match = /^(\d+)\s*(B|kB|MB|GB)?$/.exec(text.trim());
  if (match === null) throw new Error(`unexpected size ${text}`);
  const unit = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[match[2] ?? 'B'] ?? 1;
  return Number(match[1]) * unit;
}
