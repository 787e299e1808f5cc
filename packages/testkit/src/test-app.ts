import { mkdtempSync, rmSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ManualClock,
  TOKEN_PREFIX,
  permissionsOf,
  totpAt,
  type Permission,
  type Role,
} from '@vigil/core';
import {
  buildApp,
  buildDeviceApp,
  createServices,
  deviceTlsOptions,
  loadConfig,
  loadServerTls,
  openStore,
  REDACTED_LOG_PATHS,
  systemContext,
  type Services,
  type Store,
  type VigilConfig,
} from '@vigil/server';
import { TestAgent } from './test-agent.js';

export interface TestAppOptions {
  /** Defaults to SQLite in a fresh temp dir. */
  readonly databaseUrl?: string | null;
  readonly postgresSchema?: string;
  /** Command-line style overrides, e.g. `{ 'session-idle-minutes': '5' }`. */
  readonly config?: Readonly<Record<string, string>>;
  readonly webRoot?: string;
  /** Capture the server's JSON log lines (level trace, with the production redaction). */
  readonly logStream?: NodeJS.WritableStream;
}

export interface TestPerson {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  /** TOTP secret once enrolled. */
  totpSecret?: string;
}

/** A care organisation served by a manufacturer, with the two people telemetry needs. */
export interface TestCareOrganisation {
  readonly organisationId: string;
  readonly manufacturerId: string;
  /** Its first admin (`keys:manage`), with TOTP enrolled (`totpSecret` set). */
  readonly admin: TestPerson;
  /** A clinician (`data:read`). */
  readonly clinician: TestPerson;
  /** API tokens (`vgl_pat_…`) with every scope the person's role grants there. */
  readonly adminToken: string;
  readonly clinicianToken: string;
}

/** The mutual-TLS device listener of a `TestApp`, on 127.0.0.1 and a free port. */
export interface TestDeviceListener {
  /** https://localhost:<port> */
  readonly url: string;
  /** The development CA that signed the listener's certificate (trust anchor for clients). */
  readonly caCertPem: string;
  readonly app: FastifyInstance;
}

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * The real application (real store, argon2, services and routes) on an
 * injected clock, driven through `app.inject()`. The clock starts at a fixed
 * time; move it to test idle timeouts, lockout back-off and TOTP steps.
 */
export class TestApp {
  #deviceListener: Promise<TestDeviceListener> | undefined;
  #deviceCas = new Map<string, Promise<void>>();
  #people = 0;

  private constructor(
    readonly app: FastifyInstance,
    readonly store: Store,
    readonly services: Services,
    readonly clock: ManualClock,
    readonly config: VigilConfig,
    private readonly cleanup: () => void,
  ) {}

  static async create(options: TestAppOptions = {}): Promise<TestApp> {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-app-'));
    const config = loadConfig({
      env: {
        VIGIL_DATA_DIR: dataDir,
        VIGIL_LOG_LEVEL: 'silent',
        VIGIL_RATE_LIMIT_PER_MINUTE: '100000',
        ...(options.databaseUrl ? { VIGIL_DATABASE_URL: options.databaseUrl } : {}),
      },
      flags: options.config ?? {},
    });
    const store = await openStore({
      dataDir,
      databaseUrl: config.databaseUrl,
      ...(options.postgresSchema ? { postgresSchema: options.postgresSchema } : {}),
    });
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 8, 0, 0));
    const services = createServices(config, store, { clock });
    const app = await buildApp({
      config,
      store,
      services,
      ...(options.webRoot ? { webRoot: options.webRoot } : {}),
      ...(options.logStream
        ? {
            logger: {
              level: 'trace',
              stream: options.logStream,
              redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
            },
          }
        : {}),
    });
    await app.ready();
    return new TestApp(app, store, services, clock, config, () =>
      rmSync(dataDir, { recursive: true, force: true }),
    );
  }

  agent(sourceIp?: string): TestAgent {
    return new TestAgent(this.app, sourceIp);
  }

  /** Completes first-run setup; returns the manufacturer organisation and its first admin (not yet signed in). */
  async setup(): Promise<{ organisationId: string; admin: TestPerson }> {
    const { token } = await this.services.setup.issueToken(systemContext());
    const admin = { email: 'ada@maker.example', password: 'a long admin passphrase 42' };
    const result = await this.services.setup.complete(
      {
        token,
        organisationName: 'Example Medical Devices',
        name: 'Ada Lovelace',
        email: admin.email,
        password: admin.password,
      },
      systemContext(),
    );
    return { organisationId: result.organisationId, admin: { id: result.userId, ...admin } };
  }

  /** Adds a person with a role and sets their password through the real activation flow. */
  async addPerson(
    organisationId: string,
    role: Role,
    email: string,
    password = 'correct horse battery staple 7',
  ): Promise<TestPerson> {
    const operator = { kind: 'operator', userId: null, memberships: [] } as const;
    const { user, activationToken } = await this.services.people.addPerson(
      operator,
      organisationId,
      { email, name: `Test ${role}`, role },
      systemContext(),
    );
    if (activationToken?.startsWith(TOKEN_PREFIX.oneTime)) {
      await this.services.passwords.activate(activationToken, password, systemContext());
    }
    return { id: user.id, email, password };
  }

  /**
   * Signs a person in over HTTP as the web app would, enrolling TOTP when
   * their role requires it and answering the one-time code when they have it.
   * Moves the clock one TOTP step so each code is fresh.
   */
  async signIn(person: TestPerson, agent = this.agent()): Promise<TestAgent> {
    this.clock.advance(30_000);
    const first = await agent.post('/api/v1/session', {
      email: person.email,
      password: person.password,
    });
    if (first.status !== 200)
      throw new Error(`sign-in failed: ${first.status} ${first.code ?? ''}`);
    const state = first.json<{ state: string }>().state;
    if (state === 'mfa-enrolment') {
      const begun = await agent.post('/api/v1/me/mfa/totp');
      person.totpSecret = begun.json<{ secret: string }>().secret;
      const confirmed = await agent.post('/api/v1/me/mfa/totp/confirm', {
        code: totpAt(person.totpSecret, this.clock.now()),
      });
      if (confirmed.status !== 200)
        throw new Error(`enrolment failed: ${confirmed.status} ${confirmed.code ?? ''}`);
    } else if (state === 'mfa-pending') {
      if (!person.totpSecret)
        throw new Error('person has MFA but the test does not know the secret');
      const verified = await agent.post('/api/v1/session/mfa', {
        code: totpAt(person.totpSecret, this.clock.now()),
      });
      if (verified.status !== 200)
        throw new Error(`mfa failed: ${verified.status} ${verified.code ?? ''}`);
    }
    return agent;
  }

  /**
   * Creates a care organisation the manufacturer serves, its admin (password set,
   * TOTP enrolled through a real sign-in) and a clinician, and an API token for each
   * with every scope their role grants. Passwords avoid the people's name and email
   * words, as the password policy requires.
   */
  async careOrganisation(manufacturerId: string, name?: string): Promise<TestCareOrganisation> {
    const n = ++this.#people;
    const password = 'correct horse battery staple 7';
    const served = await this.services.people.createServed(
      OPERATOR,
      manufacturerId,
      {
        name: name ?? `Care Home ${n}`,
        adminEmail: `keeper${n}@ward${n}.example`,
        adminName: 'Ward Keeper',
      },
      systemContext(),
    );
    const organisationId = served.organisation.id;
    if (served.admin.activationToken) {
      await this.services.passwords.activate(
        served.admin.activationToken,
        password,
        systemContext(),
      );
    }
    const admin: TestPerson = {
      id: served.admin.userId,
      email: `keeper${n}@ward${n}.example`,
      password,
    };
    await this.signIn(admin); // enrols TOTP: the admin role requires it
    const clinician = await this.addPerson(
      organisationId,
      'clinician',
      `nurse${n}@ward${n}.example`,
    );
    return {
      organisationId,
      manufacturerId,
      admin,
      clinician,
      adminToken: await this.apiToken(admin, organisationId),
      clinicianToken: await this.apiToken(clinician, organisationId),
    };
  }

  /** An API token for `person` in `organisationId`; scopes default to all their role grants. */
  async apiToken(
    person: Pick<TestPerson, 'id'>,
    organisationId: string,
    scopes?: readonly Permission[],
  ): Promise<string> {
    const memberships = await this.store.listMembershipsOfUser(person.id);
    const role = memberships.find((m) => m.organisationId === organisationId)?.role;
    if (!role) throw new Error(`${person.id} is not a member of ${organisationId}`);
    const { token } = await this.services.tokens.create(
      OPERATOR,
      {
        name: 'test',
        organisationId,
        scopes: [...(scopes ?? permissionsOf(role))],
        expiresInDays: 30,
        ownerUserId: person.id,
      },
      systemContext(),
    );
    return token;
  }

  /**
   * An enrolment token of the manufacturer (its device CA is created on first use),
   * optionally naming the care organisation the devices will report to.
   */
  async createEnrolmentToken(
    manufacturerId: string,
    options: {
      model?: string;
      count?: number;
      expiresInHours?: number;
      site?: string;
      careOrganisationId?: string;
    } = {},
  ): Promise<string> {
    let ca = this.#deviceCas.get(manufacturerId);
    if (!ca) {
      ca = (async () => {
        if (await this.store.getActiveDeviceCa(manufacturerId)) return;
        await this.services.deviceCas.initialise(
          OPERATOR,
          manufacturerId,
          'a test root passphrase that is long',
          systemContext(),
        );
      })();
      this.#deviceCas.set(manufacturerId, ca);
    }
    await ca;
    const { token } = await this.services.enrolment.createToken(
      OPERATOR,
      manufacturerId,
      {
        name: 'test',
        model: options.model ?? 'gateway-1',
        site: options.site ?? null,
        count: options.count ?? 1,
        expiresInHours: options.expiresInHours ?? 1,
        careOrganisationId: options.careOrganisationId ?? null,
      },
      systemContext(),
    );
    return token;
  }

  /**
   * Starts the mutual-TLS device listener on a free port (once; closed with the
   * app), trusting this app's device CAs. TLS checks certificates against the
   * wall clock, not `clock`: set `clock` to the real time before enrolling
   * devices that will connect.
   */
  deviceListener(): Promise<TestDeviceListener> {
    this.#deviceListener ??= (async () => {
      const tls = await loadServerTls(this.config);
      const trust = async () =>
        deviceTlsOptions(tls, await this.services.deviceCas.trustedCertificates());
      const app = await buildDeviceApp({ services: this.services, https: await trust() });
      this.services.deviceCas.onTrustChanged = () => {
        void trust().then((options) => (app.server as HttpsServer).setSecureContext(options));
      };
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      return { app, url: `https://localhost:${port}`, caCertPem: tls.caCertPem ?? tls.certPem };
    })();
    return this.#deviceListener;
  }

  async close(): Promise<void> {
    if (this.#deviceListener) await (await this.#deviceListener).app.close();
    await this.app.close();
    this.cleanup();
  }
}
