import type { AuditLog } from './audit-log.js';
import type { AuditQueryService } from './audit-query-service.js';
import type { AuthService } from './auth-service.js';
import type { DeviceCaService } from './device-ca-service.js';
import type { DeviceService } from './device-service.js';
import type { EnrolmentService } from './enrolment-service.js';
import type { IngestService } from './ingest-service.js';
import type { KeyDistributionService } from './key-distribution-service.js';
import type { MfaService } from './mfa-service.js';
import type { PasswordService } from './password-service.js';
import type { PeopleService } from './people-service.js';
import type { RetentionService } from './retention-service.js';
import type { SetupService } from './setup-service.js';
import type { TelemetryQueryService } from './telemetry-query-service.js';
import type { TokenService } from './token-service.js';

/** Everything the routes may call; built once in `composition.ts`. */
export interface Services {
  readonly audit: AuditLog;
  readonly auditQuery: AuditQueryService;
  readonly auth: AuthService;
  readonly deviceCas: DeviceCaService;
  readonly devices: DeviceService;
  readonly enrolment: EnrolmentService;
  /** Protected telemetry, device side: key manifest, wrapped data keys, pseudonym tables, batches. */
  readonly ingest: IngestService;
  /** Protected telemetry, people's side: member keys, manifest, team keys, pseudonym secret. */
  readonly keys: KeyDistributionService;
  readonly mfa: MfaService;
  readonly passwords: PasswordService;
  readonly people: PeopleService;
  readonly retention: RetentionService;
  readonly setup: SetupService;
  /** Protected telemetry for clinicians: batches, pseudonyms, sealed pseudonym tables. */
  readonly telemetry: TelemetryQueryService;
  readonly tokens: TokenService;
}
