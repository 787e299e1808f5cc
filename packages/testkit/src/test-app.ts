import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ManualClock, TOKEN_PREFIX, totpAt, type Role } from '@vigil/core';
import {
  buildApp,
  createServices,
  loadConfig,
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

/**
 * The real application (real store, argon2, services and routes) on an
 * injected clock, driven through `app.inject()`. The clock starts at a fixed
 * time; move it to test idle timeouts, lockout back-off and TOTP steps.
 */
export class TestApp {
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

  async close(): Promise<void> {
    await this.app.close();
    this.cleanup();
  }
}
