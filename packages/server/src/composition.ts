import { fileURLToPath } from 'node:url';
import { PasswordPolicy, systemClock, type Clock } from '@vigil/core';
import { isCommonPassword } from './auth/common-passwords.js';
import {
  createArgon2Hasher,
  type Argon2Parameters,
  type PasswordHasher,
} from './auth/password-hasher.js';
import type { VigilConfig } from './config/config.js';
import { createSecretBox, loadOrCreateSecretsKey } from './crypto/secret-box.js';
import { AuditLog } from './services/audit-log.js';
import { AuditQueryService } from './services/audit-query-service.js';
import { AuthService } from './services/auth-service.js';
import { DeviceCaService } from './services/device-ca-service.js';
import { DeviceService } from './services/device-service.js';
import { EnrolmentService } from './services/enrolment-service.js';
import { IngestService } from './services/ingest-service.js';
import { KeyDistributionService } from './services/key-distribution-service.js';
import type { Services } from './services/index.js';
import { MfaService } from './services/mfa-service.js';
import { PasswordService } from './services/password-service.js';
import { PeopleService } from './services/people-service.js';
import { RetentionService } from './services/retention-service.js';
import { SetupService } from './services/setup-service.js';
import { TelemetryQueryService } from './services/telemetry-query-service.js';
import { TokenService } from './services/token-service.js';
import type { Store } from './store/store.js';

/** Where the built web app is, relative to this package (same depth from src/ and dist/). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface ServiceOptions {
  readonly clock?: Clock;
  readonly hasher?: PasswordHasher;
  readonly argon2?: Argon2Parameters;
}

/**
 * The composition root: every service is built here, once, from the
 * configuration and the store, and handed to the routes. Nothing else
 * constructs services, so the wiring can be read in one place.
 */
export function createServices(
  config: VigilConfig,
  store: Store,
  options: ServiceOptions = {},
): Services {
  const clock = options.clock ?? systemClock;
  const hasher = options.hasher ?? createArgon2Hasher(options.argon2);
  const secretBox = createSecretBox(loadOrCreateSecretsKey(config.dataDir));
  const passwordPolicy = new PasswordPolicy(isCommonPassword);
  const audit = new AuditLog(store, clock);
  const auth = new AuthService({
    store,
    clock,
    hasher,
    audit,
    passwordPolicy,
    sessionPolicy: {
      idleMs: config.sessionIdleMinutes * 60_000,
      absoluteMs: config.sessionAbsoluteHours * 3_600_000,
    },
  });
  const passwords = new PasswordService({ store, clock, hasher, policy: passwordPolicy, audit });
  const deviceCas = new DeviceCaService({ store, clock, secretBox, audit });
  const certificateDays = config.deviceCertDays;
  return {
    audit,
    auditQuery: new AuditQueryService(store),
    auth,
    deviceCas,
    devices: new DeviceService({ store, clock, audit, cas: deviceCas, certificateDays }),
    enrolment: new EnrolmentService({ store, clock, audit, cas: deviceCas, certificateDays }),
    ingest: new IngestService({ store, clock, audit }),
    keys: new KeyDistributionService({ store, clock, audit }),
    mfa: new MfaService({
      store,
      clock,
      secretBox,
      audit,
      auth,
      hasher,
      passwordPolicy,
      issuer: 'Vigil',
    }),
    passwords,
    people: new PeopleService({ store, clock, audit }),
    retention: new RetentionService({ store, clock, audit }),
    setup: new SetupService({ store, clock, hasher, passwords, audit }),
    telemetry: new TelemetryQueryService({ store }),
    tokens: new TokenService({ store, clock, audit }),
  };
}
