import type { Clock } from '@vigil/core';
import { attestationHeaders, type AttestationSigner } from './attestation.js';
import { createCertificateRequest } from './csr.js';
import { DeviceCertificate } from './device-certificate.js';
import { AgentError } from './errors.js';
import { EstClient } from './est-client.js';
import type { StoredIdentity } from './storage/agent-storage.js';
import type { AgentTransport } from './transport.js';

/** What the gateway knows before it has an identity. */
export interface EnrolmentRequest {
  /** The main listener, e.g. `https://vigil.example:8443` (EST enrolment). */
  readonly enrolUrl: string;
  /** The device listener, e.g. `https://vigil.example:8444` (mutual TLS). */
  readonly deviceUrl: string;
  /** The one-time enrolment token (`vgl_enrol_…`) from the operator. */
  readonly token: string;
  /** The server's TLS trust anchor, PEM (for the dev server `<dataDir>/tls/ca.pem`). */
  readonly serverTrustPem: string;
  /** The hardware serial number, put in the CSR subject's serialNumber attribute. */
  readonly serialNumber: string;
  /** Sent as `X-Vigil-Hardware-Revision`. */
  readonly hardwareRevision?: string;
  /** The model, used as the CSR's common name (default `vigil-gateway`). */
  readonly model?: string;
  /** The manufacturer organisation on a multi-tenant server (EST label for `cacerts`). */
  readonly organisationId?: string;
  /** The secure element, when the device model requires genuine-hardware attestation. */
  readonly attestation?: AttestationSigner;
}

/**
 * Runs EST enrolment (docs/devices.md, Enrolment) and returns the identity to
 * store: fetch the CA certificates (RFC 7030 §4.1.1 — the client learns its CA
 * first), generate a key and CSR on this gateway, fetch and sign an attestation
 * nonce when a secure element is given, then `simpleenroll` with the token. The
 * issued certificate is checked before it is accepted (our key, the server's CA,
 * the announced device id).
 *
 * @example
 * const identity = await enrolDevice(request, transport, systemClock);
 * await storage.save(identity);
 */
export async function enrolDevice(
  request: EnrolmentRequest,
  transport: AgentTransport,
  clock: Clock,
): Promise<StoredIdentity> {
  checkRequest(request);
  const est = new EstClient(transport, request.enrolUrl);
  const caChain = await est.cacerts(request.organisationId);
  const csr = await createCertificateRequest({
    serialNumber: request.serialNumber,
    ...(request.model === undefined ? {} : { commonName: request.model }),
  });
  const headers: Record<string, string> = {};
  if (request.hardwareRevision !== undefined) {
    headers['x-vigil-hardware-revision'] = request.hardwareRevision;
  }
  if (request.attestation !== undefined) {
    const nonce = await est.attestationNonce(request.token);
    Object.assign(headers, await attestationHeaders(request.attestation, nonce, csr.spkiDer));
  }
  const answer = await est.simpleEnroll({ csrDer: csr.csrDer, token: request.token, headers });
  const caChainPem = caChain.join('');
  const issued = DeviceCertificate.selectIssued(answer.certificates, csr.spkiDer, {
    caChainPem,
    expectedDeviceId: answer.deviceId,
  });
  return {
    deviceId: issued.deviceId,
    ...(request.organisationId === undefined ? {} : { organisationId: request.organisationId }),
    keyPkcs8Pem: csr.keyPkcs8Pem,
    certificatePem: issued.pem,
    caChainPem,
    serverTrustPem: request.serverTrustPem,
    enrolUrl: request.enrolUrl,
    deviceUrl: request.deviceUrl,
    enrolledAt: clock.now(),
  };
}

/** Secure defaults (PRODUCT.md principles): TLS only, no empty token, clean header values. */
function checkRequest(request: EnrolmentRequest): void {
  for (const [name, value] of [
    ['enrolUrl', request.enrolUrl],
    ['deviceUrl', request.deviceUrl],
  ] as const) {
    if (!isHttpsOrigin(value)) {
      throw new AgentError('ERR_AGENT_INVALID_OPTIONS', `${name} must be an https: URL.`);
    }
  }
  if (request.token.trim().length === 0) {
    throw new AgentError('ERR_AGENT_INVALID_OPTIONS', 'The enrolment token is empty.');
  }
  if (
    request.hardwareRevision !== undefined &&
    !/^[\x20-\x7e]{1,64}$/.test(request.hardwareRevision)
  ) {
    throw new AgentError(
      'ERR_AGENT_INVALID_OPTIONS',
      'hardwareRevision must be 1–64 printable ASCII characters.',
    );
  }
}

/** An absolute https: URL (path ignored; EST paths are fixed by RFC 7030 §3.2.2). */
export function isHttpsOrigin(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
