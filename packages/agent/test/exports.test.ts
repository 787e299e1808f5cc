import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as agent from '@vigil/agent';

/** The public surface, on purpose: a change here is an API change for gateway apps. */
const PUBLIC_VALUES = [
  'AGENT_ERROR_CODES',
  'ATTESTATION_MESSAGE_PREFIX',
  'AgentError',
  'DEFAULT_COMMON_NAME',
  'DEFAULT_RETRY',
  'DeviceCertificate',
  'EstClient',
  'FileStorage',
  'HttpsTransport',
  'MIN_PASSPHRASE_LENGTH',
  'MemoryStorage',
  'OUTBOX_WARNING_FRACTION',
  'Outbox',
  'RECORD_NAME',
  'RENEWAL_FRACTION',
  'Telemetry',
  'TelemetryApi',
  'UPLOAD_RETRY',
  'Uploader',
  'VigilAgent',
  'attestationHeaders',
  'attestationMessage',
  'createCertificateRequest',
  'errorFromResponse',
  'isAgentError',
  'isFinalBatchRefusal',
  'isExpired',
  'nextRenewalAttempt',
  'parseCertsOnly',
  'parseStoredIdentity',
  'renewAfter',
  'sameFingerprint',
  'shouldRenew',
  'uploadRetryDelay',
];

describe('@vigil/agent exports', () => {
  it('exports exactly the documented values', () => {
    assert.deepEqual(Object.keys(agent).sort(), [...PUBLIC_VALUES].sort());
  });

  it('names every agent error code ERR_AGENT_*', () => {
    for (const code of agent.AGENT_ERROR_CODES) assert.match(code, /^ERR_AGENT_[A-Z_]+$/);
  });
});
