import type { DeviceCa } from '../../api/types.js';
import { formatDate, formatRelative, isoTime } from '../../components/format.js';
import { expiryOf, formatFingerprint } from './device-facts.js';

/** Shown in place of an error whenever the server answers ERR_DEVICE_CA_MISSING. */
export function NoDeviceCa() {
  return (
    <p className="message message-info" data-testid="no-device-ca">
      No device CA yet: an operator runs <code>vigil ca init</code> on the server.
    </p>
  );
}

/**
 * The organisation's device CA (docs/devices.md "Device CA"): the fingerprints
 * people pin in gateways or compare against what a gateway received from EST
 * `cacerts`, and when the issuing CA runs out.
 */
export function DeviceCaPanel({ ca, now }: { readonly ca: DeviceCa; readonly now: number }) {
  const expiry = expiryOf(ca.issuingNotAfter, now);
  return (
    <section aria-labelledby="device-ca-heading" className="panel">
      <h2 id="device-ca-heading">Device CA</h2>
      <p className="muted">
        Every device certificate is issued by this CA. To pin it, compare these SHA-256 fingerprints
        with <code>openssl x509 -noout -fingerprint -sha256</code> on the certificates a gateway
        receives.
      </p>
      <dl className="facts">
        <dt>Issuing CA fingerprint</dt>
        <dd>
          <code className="fingerprint" data-testid="issuing-fingerprint">
            {formatFingerprint(ca.issuingFingerprintSha256)}
          </code>
        </dd>
        <dt>Root CA fingerprint</dt>
        <dd>
          <code className="fingerprint" data-testid="root-fingerprint">
            {formatFingerprint(ca.rootFingerprintSha256)}
          </code>
        </dd>
        <dt>Issuing CA expires</dt>
        <dd>
          <time dateTime={isoTime(ca.issuingNotAfter)}>{formatDate(ca.issuingNotAfter)}</time>
          {expiry === 'ok' ? null : (
            <span className={`expiry expiry-${expiry}`}>
              {expiry === 'expired'
                ? 'Expired'
                : `Expires ${formatRelative(ca.issuingNotAfter, now)}`}
            </span>
          )}
        </dd>
      </dl>
      <details className="pem-details">
        <summary>Certificates (PEM)</summary>
        <h3>Issuing CA</h3>
        <pre className="code-block">{ca.issuingCertificatePem.trim()}</pre>
        <h3>Root CA</h3>
        <pre className="code-block">{ca.rootCertificatePem.trim()}</pre>
      </details>
    </section>
  );
}
