import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { permissionsOf, totpAt, type Permission } from '@vigil/core';
import { loadConfig, startServer, systemContext, type RunningServer } from '@vigil/server';
import type { TestCareOrganisation, TestPerson } from './test-app.js';

export interface StartedTestServer {
  /** https://localhost:<port> — web app, API, EST enrolment. */
  readonly url: string;
  /** https://localhost:<port> — the mutual-TLS device listener. */
  readonly deviceUrl: string;
  /** The development CA that signed both listeners' certificate (trust anchor for clients). */
  readonly caCertPem: string;
  readonly setupToken: string;
  readonly server: RunningServer;
  readonly dataDir: string;
  /** Completes setup and creates the device CA on first use; returns the manufacturer organisation id. */
  manufacturer(): Promise<string>;
  /**
   * A fresh enrolment token (`count` uses, default 1) for `model` (default 'gateway-1');
   * with `careOrganisationId`, the devices it enrols report readings to that organisation.
   */
  createEnrolmentToken(options?: {
    model?: string;
    count?: number;
    expiresInHours?: number;
    site?: string;
    careOrganisationId?: string;
  }): Promise<string>;
  /**
   * A care organisation the manufacturer serves, with an admin (TOTP enrolled at the
   * previous 30-second step, so `totpAt(admin.totpSecret, Date.now())` signs in) and a
   * clinician, and an API token for each with every scope their role grants.
   */
  careOrganisation(name?: string): Promise<TestCareOrganisation>;
  /** An API token for a member of `organisationId`; scopes default to all their role grants. */
  apiToken(
    person: Pick<TestPerson, 'id'>,
    organisationId: string,
    scopes?: readonly Permission[],
  ): Promise<string>;
  revokeDevice(deviceId: string): Promise<void>;
  quarantineDevice(deviceId: string): Promise<void>;
  releaseDevice(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

const OPERATOR = { kind: 'operator', userId: null, memberships: [] } as const;

/**
 * The real HTTPS server (dev CA, SQLite in a fresh data dir, the built web
 * app, the device listener) on 127.0.0.1 and free ports, for browser, agent
 * and wire-level tests. Setup is left undone until `manufacturer()` (or a
 * device helper) needs it, so a browser test can still walk through it.
 */
export async function startTestServer(
  env: Record<string, string> = {},
): Promise<StartedTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-server-'));
  const server = await startServer(
    loadConfig({
      env: {
        VIGIL_DATA_DIR: dataDir,
        VIGIL_HTTPS_PORT: '0',
        VIGIL_DEVICE_PORT: '0',
        VIGIL_LOG_LEVEL: 'silent',
        ...env,
      },
    }),
  );
  const setupToken = server.setupToken;
  if (!setupToken) throw new Error('a fresh server must print a setup token');
  const context = systemContext('test');
  let organisation: Promise<string> | undefined;

  const manufacturer = () =>
    (organisation ??= (async () => {
      const { organisationId } = await server.services.setup.complete(
        {
          token: setupToken,
          organisationName: 'Example Medical Devices',
          name: 'Test Operator',
          email: 'operator@maker.example',
          password: 'a lengthy passphrase for checks',
        },
        context,
      );
      await server.services.deviceCas.initialise(
        OPERATOR,
        organisationId,
        'a test root passphrase that is long',
        context,
      );
      return organisationId;
    })());

  const apiToken = async (
    person: Pick<TestPerson, 'id'>,
    organisationId: string,
    scopes?: readonly Permission[],
  ) => {
    const memberships = await server.store.listMembershipsOfUser(person.id);
    const role = memberships.find((m) => m.organisationId === organisationId)?.role;
    if (!role) throw new Error(`${person.id} is not a member of ${organisationId}`);
    const { token } = await server.services.tokens.create(
      OPERATOR,
      {
        name: 'test',
        organisationId,
        scopes: [...(scopes ?? permissionsOf(role))],
        expiresInDays: 30,
        ownerUserId: person.id,
      },
      context,
    );
    return token;
  };

  let careOrganisations = 0;
  const careOrganisation = async (name?: string): Promise<TestCareOrganisation> => {
    const n = ++careOrganisations;
    const manufacturerId = await manufacturer();
    const password = 'correct horse battery staple 7';
    const { services } = server;
    const served = await services.people.createServed(
      OPERATOR,
      manufacturerId,
      {
        name: name ?? `Care Home ${n}`,
        adminEmail: `keeper${n}@ward${n}.example`,
        adminName: 'Ward Keeper',
      },
      context,
    );
    if (served.admin.activationToken) {
      await services.passwords.activate(served.admin.activationToken, password, context);
    }
    const admin: TestPerson = {
      id: served.admin.userId,
      email: `keeper${n}@ward${n}.example`,
      password,
    };
    // The admin role requires MFA: enrol TOTP in-process, as the web app's first sign-in would.
    const issued = await services.auth.signIn(admin.email, password, context);
    const { session, user } = await services.auth.resolveSession(issued.sessionToken, context);
    const { secret } = await services.mfa.beginTotpEnrolment(user);
    const pending = await server.store.getUser(user.id);
    if (!pending) throw new Error('the admin vanished');
    await services.mfa.confirmTotpEnrolment(
      session,
      pending,
      totpAt(secret, Date.now() - 30_000),
      context,
    );
    admin.totpSecret = secret;
    const added = await services.people.addPerson(
      OPERATOR,
      served.organisation.id,
      { email: `nurse${n}@ward${n}.example`, name: 'Test clinician', role: 'clinician' },
      context,
    );
    if (added.activationToken) {
      await services.passwords.activate(added.activationToken, password, context);
    }
    const clinician: TestPerson = { id: added.user.id, email: added.user.email, password };
    return {
      organisationId: served.organisation.id,
      manufacturerId,
      admin,
      clinician,
      adminToken: await apiToken(admin, served.organisation.id),
      clinicianToken: await apiToken(clinician, served.organisation.id),
    };
  };

  const setStatus = async (deviceId: string, action: 'quarantine' | 'release' | 'revoke') => {
    await server.services.devices.setStatus(
      OPERATOR,
      await manufacturer(),
      deviceId,
      action,
      context,
    );
  };

  return {
    url: server.url,
    deviceUrl: server.deviceUrl,
    caCertPem: readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8'),
    setupToken,
    server,
    dataDir,
    manufacturer,
    createEnrolmentToken: async (options = {}) => {
      const { token } = await server.services.enrolment.createToken(
        OPERATOR,
        await manufacturer(),
        {
          name: 'test',
          model: options.model ?? 'gateway-1',
          site: options.site ?? null,
          count: options.count ?? 1,
          expiresInHours: options.expiresInHours ?? 1,
          careOrganisationId: options.careOrganisationId ?? null,
        },
        context,
      );
      return token;
    },
    careOrganisation,
    apiToken,
    revokeDevice: (deviceId) => setStatus(deviceId, 'revoke'),
    quarantineDevice: (deviceId) => setStatus(deviceId, 'quarantine'),
    releaseDevice: (deviceId) => setStatus(deviceId, 'release'),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
