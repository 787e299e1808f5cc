import type { Clock } from '@vigil/core';
import { createCertificateRequest } from './csr.js';
import { DeviceCertificate } from './device-certificate.js';
import { AgentError, isAgentError } from './errors.js';
import { EstClient } from './est-client.js';
import { isExpired, nextRenewalAttempt, renewAfter, shouldRenew } from './renewal-policy.js';
import type { AgentStorage, StoredIdentity } from './storage/agent-storage.js';
import type { AgentTransport } from './transport.js';

/** What `renewIfDue()` did. Holds no key material, so it is safe to log. */
export type RenewalOutcome =
  | { readonly status: 'not-due'; readonly renewAfter: number }
  | { readonly status: 'backing-off'; readonly retryAt: number; readonly failures: number }
  | { readonly status: 'renewed'; readonly certificateExpiresAt: number }
  /** `retryAt` null: the certificate has expired; only a new enrolment (token) helps. */
  | { readonly status: 'failed'; readonly error: AgentError; readonly retryAt: number | null };

export interface CertificateRenewerOptions {
  readonly clock: Clock;
  readonly random: () => number;
  readonly transport: AgentTransport;
  readonly storage: AgentStorage;
}

/**
 * Runs certificate renewal (docs/devices.md, Re-enrolment) and remembers
 * failures for the back-off. Decisions come from renewal-policy.ts; this class
 * does the I/O. The failure count lives in memory: after a restart the first
 * attempt is immediate, which is what a rebooted gateway should do anyway.
 *
 * @example
 * const { outcome, identity } = await renewer.attempt(current, DeviceCertificate.fromPem(pem));
 */
export class CertificateRenewer {
  readonly #options: CertificateRenewerOptions;
  #failures = 0;
  #retryAt = 0;
  #inFlight: Promise<{ outcome: RenewalOutcome; identity: StoredIdentity }> | null = null;

  constructor(options: CertificateRenewerOptions) {
    this.#options = options;
  }

  /**
   * Renews if due, returning the outcome and the identity now current (the new
   * one after success, `identity` itself otherwise). Concurrent calls share one
   * attempt, so a certificate is never renewed twice over.
   */
  attempt(
    identity: StoredIdentity,
    certificate: DeviceCertificate,
  ): Promise<{ outcome: RenewalOutcome; identity: StoredIdentity }> {
    this.#inFlight ??= this.#attempt(identity, certificate).finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #attempt(
    identity: StoredIdentity,
    certificate: DeviceCertificate,
  ): Promise<{ outcome: RenewalOutcome; identity: StoredIdentity }> {
    const now = this.#options.clock.now();
    const keep = (outcome: RenewalOutcome) => ({ outcome, identity });
    if (!shouldRenew(now, certificate)) {
      return keep({ status: 'not-due', renewAfter: renewAfter(certificate) });
    }
    if (isExpired(now, certificate)) {
      // The device listener refuses an expired certificate in the handshake, so
      // simplereenroll cannot authenticate; the operator must issue a new token.
      const error = new AgentError(
        'ERR_AGENT_CERTIFICATE_EXPIRED',
        'The device certificate has expired; enrol again with a new token.',
      );
      return keep({ status: 'failed', error, retryAt: null });
    }
    if (now < this.#retryAt) {
      return keep({ status: 'backing-off', retryAt: this.#retryAt, failures: this.#failures });
    }
    try {
      const renewed = await this.#renew(identity, certificate, now);
      this.#failures = 0;
      this.#retryAt = 0;
      const issued = DeviceCertificate.fromPem(renewed.certificatePem);
      return {
        outcome: { status: 'renewed', certificateExpiresAt: issued.notAfter },
        identity: renewed,
      };
    } catch (error) {
      if (!isAgentError(error)) throw error;
      this.#failures += 1;
      this.#retryAt = nextRenewalAttempt(now, this.#failures, certificate, this.#options.random());
      return keep({ status: 'failed', error, retryAt: this.#retryAt });
    }
  }

  async #renew(
    identity: StoredIdentity,
    certificate: DeviceCertificate,
    now: number,
  ): Promise<StoredIdentity> {
    const est = new EstClient(this.#options.transport, identity.enrolUrl);
    // RFC 7030 §4.1.1: refresh the CA certificates before re-enrolment, so a
    // rotated issuing CA is recognised when it signs the new certificate.
    const caChainPem = (await est.cacerts(identity.organisationId)).join('');
    // RFC 7030 §4.2.2: same subject as the current certificate; a new key, so a
    // key that leaked unnoticed stops working when the old certificate does.
    const csr = await createCertificateRequest({ subjectDer: certificate.subjectDer() });
    const answer = await est.simpleReenroll({
      csrDer: csr.csrDer,
      deviceUrl: identity.deviceUrl,
      clientCert: { certPem: identity.certificatePem, keyPem: identity.keyPkcs8Pem },
    });
    const issued = DeviceCertificate.selectIssued(answer.certificates, csr.spkiDer, {
      caChainPem,
      expectedDeviceId: identity.deviceId,
    });
    const renewed: StoredIdentity = {
      ...identity,
      keyPkcs8Pem: csr.keyPkcs8Pem,
      certificatePem: issued.pem,
      caChainPem,
      renewedAt: now,
    };
    // Save before first use: the server keeps the old certificate valid until the
    // new one is used (docs/devices.md), so if saving fails nothing is lost.
    try {
      await this.#options.storage.save(renewed);
    } catch (cause) {
      if (isAgentError(cause)) throw cause;
      throw new AgentError('ERR_AGENT_STORAGE_FAILED', 'Saving the renewed identity failed.', {
        cause,
      });
    }
    return renewed;
  }
}
