import type { StoredBatch } from '../../api/types.js';
import { formatTime, isoTime } from '../../components/format.js';
import type { TelemetryFailure } from '../../telemetry/telemetry-failure.js';

/** What a clinician can do about each failure (codes: docs/errors.md). */
const ADVICE: Readonly<Record<string, string>> = {
  ERR_PROTECT_NOT_A_RECIPIENT:
    'Your key was not given this team epoch. Ask your organisation’s admin to grant it to your registered member key.',
  ERR_PROTECT_DECRYPTION_FAILED:
    'A wrapped key did not open with your key: it is damaged, or not the key it claims to be.',
  ERR_PROTECT_KEY_MISMATCH:
    'A wrapped key belongs to another organisation, epoch or data key than this batch needs.',
  ERR_BATCH_KEY_UNKNOWN: 'The key this batch was encrypted with is not stored on the server.',
  ERR_BATCH_DECRYPTION_FAILED:
    'The batch did not decrypt: it was altered, or encrypted under another key than it names.',
  ERR_BATCH_SIGNATURE:
    'The readings are not signed by the gateway’s key. Do not rely on them; tell your security team.',
  ERR_BATCH_BINDING:
    'The batch belongs to another patient, device or organisation than the server said, or its signed content disagrees with its header.',
  ERR_BATCH_MALFORMED: 'The batch is not in Vigil’s format.',
  ERR_PROTECT_ALGORITHM_REFUSED: 'The batch or a key uses an algorithm Vigil does not accept.',
};

/**
 * Batches that could not be read, one line each with its code, so one bad batch
 * hides nothing else and can be reported precisely.
 */
export function BatchFailures({
  failures,
}: {
  readonly failures: readonly { readonly batch: StoredBatch; readonly failure: TelemetryFailure }[];
}) {
  return (
    <section aria-labelledby="batch-failures-heading" className="message message-error stack">
      <h3 id="batch-failures-heading">
        {failures.length === 1
          ? 'One batch could not be read'
          : `${failures.length} batches could not be read`}
      </h3>
      <ul className="batch-failures">
        {failures.map(({ batch, failure }) => (
          <li key={batch.id} data-testid="batch-failure">
            <p>
              <code data-testid="failure-code">{failure.code}</code> Batch {batch.sequence} from
              gateway <code>{batch.deviceId.slice(0, 8)}</code>, readings{' '}
              <time dateTime={isoTime(batch.from)}>{formatTime(batch.from)}</time> to{' '}
              <time dateTime={isoTime(batch.to)}>{formatTime(batch.to)}</time>.
            </p>
            <p className="hint">{adviceFor(batch, failure)}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function adviceFor(batch: StoredBatch, failure: TelemetryFailure): string {
  // No key to check the signature with is the server's gap, not a forgery.
  if (failure.code === 'ERR_BATCH_SIGNATURE' && !batch.devicePublicJwk) {
    return 'The server did not send this gateway’s public key, so its signature cannot be checked and the readings are not shown.';
  }
  return ADVICE[failure.code] ?? failure.message;
}
