import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_PREFIX, type Role } from '@vigil/core';
import { loadConfig, startServer, systemContext, type RunningServer } from '@vigil/server';

/** A person who can sign in (activated, no MFA). */
export interface BenchPerson {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
}

export interface BenchServer {
  readonly server: RunningServer;
  readonly dataDir: string;
  /** `https://127.0.0.1:<port>`: the address the listener is bound to. */
  readonly baseUrl: string;
  /** `https://127.0.0.1:<port>` of the device listener (mutual TLS, a device certificate required). */
  readonly deviceUrl: string;
  /** The development CA's certificate (PEM), to verify the server as a client should. */
  readonly ca: string;
  readonly organisationId: string;
  readonly adminUserId: string;
  /** An API token of the admin with `org:read` and `users:read`, valid for a day. */
  readonly apiToken: string;
  /** Adds an activated person with a role that needs no second factor. */
  addPerson(
    role: Exclude<Role, 'admin' | 'security-engineer'>,
    email: string,
  ): Promise<BenchPerson>;
  /**
   * An enrolment token with `count` uses for model `bench-gateway`, valid an hour. The first
   * call creates the organisation's device CA (root and issuing, as `vigil ca init` does).
   * With `careOrganisationId`, the devices it enrols report readings to that organisation.
   */
  createEnrolmentToken(
    count: number,
    options?: { readonly careOrganisationId?: string },
  ): Promise<string>;
  /** A care organisation the bench manufacturer serves (docs/telemetry.md, "Ownership"); its id. */
  addCareOrganisation(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface BenchServerOptions {
  /** The built web app to serve; the server's default when omitted. */
  readonly webRoot?: string;
  /**
   * Where the temporary data directory is made; default the OS temp dir.
   * The store fsyncs every commit, so the file system under it is part of
   * what an authenticated request costs (`BENCH_DATA_ROOT=/dev/shm` takes
   * the disk out, to see how much).
   */
  readonly dataRoot?: string;
  /**
   * A `postgres://` URL: the store goes to that (empty) PostgreSQL database instead of
   * SQLite in the data directory. The caller creates and drops the database.
   */
  readonly databaseUrl?: string;
}

const ADMIN_PASSWORD = 'a long admin passphrase 42';
const ROOT_CA_PASSPHRASE = 'a long bench root CA passphrase';
const PERSON_PASSWORD = 'correct horse battery staple 7';
const CONTEXT = systemContext('bench');
const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * Starts the real server as `vigil serve` does (store, migrations, development
 * CA, argon2id at OWASP parameters, every plugin and route) on a free
 * loopback port in a fresh temporary data directory, then completes first-run
 * setup and issues an API token. The per-address rate limit is lifted so the
 * benchmark measures the server, not the limiter; the per-route limits of
 * sign-in (30 a minute) and EST (120 a minute) stay, as in production. The
 * device listener gets a free port too, so a benchmark never collides with a
 * server on the default 8444.
 */
export async function startBenchServer(options: BenchServerOptions = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(options.dataRoot ?? tmpdir(), 'vigil-bench-'));
  let server: RunningServer | undefined;
  try {
    const config = loadConfig({
      env: {
        VIGIL_DATA_DIR: dataDir,
        VIGIL_HTTPS_PORT: '0',
        VIGIL_DEVICE_PORT: '0',
        VIGIL_LOG_LEVEL: 'silent',
        VIGIL_RATE_LIMIT_PER_MINUTE: '100000000',
        ...(options.databaseUrl === undefined ? {} : { VIGIL_DATABASE_URL: options.databaseUrl }),
      },
    });
    server = await startServer(config, options.webRoot ? { webRoot: options.webRoot } : {});
    const running = server;
    const address = running.app.server.address();
    if (typeof address !== 'object' || address === null) {
      throw new Error('The server is not listening on a TCP port.');
    }
    const deviceAddress = running.deviceApp.server.address();
    if (typeof deviceAddress !== 'object' || deviceAddress === null) {
      throw new Error('The device listener is not listening on a TCP port.');
    }
    if (running.setupToken === null) throw new Error('A fresh data directory should need setup.');

    const { organisationId, userId: adminUserId } = await running.services.setup.complete(
      {
        token: running.setupToken,
        organisationName: 'Bench Medical Devices',
        name: 'Ada Lovelace',
        email: 'ada@maker.example',
        password: ADMIN_PASSWORD,
      },
      CONTEXT,
    );
    const { token: apiToken } = await running.services.tokens.create(
      OPERATOR,
      {
        name: 'bench',
        organisationId,
        scopes: ['org:read', 'users:read'],
        expiresInDays: 1,
        ownerUserId: adminUserId,
      },
      CONTEXT,
    );

    let deviceCa: Promise<unknown> | undefined;
    return {
      server: running,
      dataDir,
      baseUrl: `https://127.0.0.1:${address.port}`,
      deviceUrl: `https://127.0.0.1:${deviceAddress.port}`,
      ca: readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8'),
      organisationId,
      adminUserId,
      apiToken,
      async addPerson(role, email) {
        const { user, activationToken } = await running.services.people.addPerson(
          OPERATOR,
          organisationId,
          { email, name: `Bench ${role}`, role },
          CONTEXT,
        );
        if (!activationToken?.startsWith(TOKEN_PREFIX.oneTime)) {
          throw new Error(`${email} already had an account.`);
        }
        await running.services.passwords.activate(activationToken, PERSON_PASSWORD, CONTEXT);
        return { userId: user.id, email, password: PERSON_PASSWORD };
      },
      async addCareOrganisation(name) {
        const { organisation } = await running.services.people.createServed(
          OPERATOR,
          organisationId,
          { name, adminEmail: `admin@${slug(name)}.example`, adminName: 'Bench Admin' },
          CONTEXT,
        );
        return organisation.id;
      },
      async createEnrolmentToken(count, tokenOptions = {}) {
        deviceCa ??= running.services.deviceCas.initialise(
          OPERATOR,
          organisationId,
          ROOT_CA_PASSPHRASE,
          CONTEXT,
        );
        await deviceCa;
        const { token } = await running.services.enrolment.createToken(
          OPERATOR,
          organisationId,
          {
            name: 'bench',
            model: 'bench-gateway',
            count,
            expiresInHours: 1,
            ...(tokenOptions.careOrganisationId === undefined
              ? {}
              : { careOrganisationId: tokenOptions.careOrganisationId }),
          },
          CONTEXT,
        );
        return token;
      },
      async close() {
        try {
          await running.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** `Care Home 1` → `care-home-1`, for an e-mail domain. */
function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'care'
  );
}
