import { useState } from 'react';
import { listEnrolmentTokens, revokeEnrolmentToken } from '../../api/client.js';
import type { CreatedEnrolmentToken, DeviceModel, EnrolmentToken } from '../../api/types.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { ErrorAlert, Notice } from '../../components/error-alert.js';
import { formatTime } from '../../components/format.js';
import { MissingValue } from '../../components/missing-value.js';
import { OneTimeSecret } from '../../components/one-time-secret.js';
import { useAction } from '../../components/use-action.js';
import { useResource } from '../../components/use-resource.js';
import { NoDeviceCa } from './device-ca-panel.js';
import { isCaMissing, TOKEN_STATE_LABELS, tokenState } from './device-facts.js';
import { EnrolmentTokenForm } from './enrolment-token-form.js';
import { EnrolmentUsage } from './enrolment-usage.js';

/** The heading the Devices page's empty state links to. */
export const ENROLMENT_TOKENS_HEADING = 'enrolment-tokens-heading';

/**
 * Enrolment tokens (`vgl_enrol_…`): the list for `devices:read`; for
 * `devices:manage`, a form that shows a new token once, and revocation.
 * Without a device CA no token can be made, so the form gives way to the
 * note saying so.
 */
export function EnrolmentTokens({
  orgId,
  manage,
  caMissing,
  models,
  now,
}: {
  readonly orgId: string;
  readonly manage: boolean;
  readonly caMissing: boolean;
  readonly models: readonly DeviceModel[];
  readonly now: number;
}) {
  const tokens = useResource(() => listEnrolmentTokens(orgId), [orgId]);
  const revoke = useAction();
  const [created, setCreated] = useState<CreatedEnrolmentToken | null>(null);
  const [revoking, setRevoking] = useState<EnrolmentToken | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  async function confirmRevoke() {
    if (revoking === null) return;
    const token = revoking;
    setNotice(null);
    const done = await revoke.run(async () => {
      await revokeEnrolmentToken(orgId, token.id);
      return true;
    });
    setRevoking(null);
    if (done)
      setNotice(`The enrolment token “${token.name}” is revoked; no device can enrol with it.`);
    tokens.reload();
  }

  const error = revoke.error ?? tokens.error;
  const list = tokens.data?.tokens;
  return (
    <section aria-labelledby={ENROLMENT_TOKENS_HEADING} className="stack">
      <h2 id={ENROLMENT_TOKENS_HEADING} tabIndex={-1}>
        Enrolment tokens
      </h2>
      <p className="muted">
        A gateway enrols once with a one-time token: it proves it holds its own key and receives its
        certificate. A token may serve a batch of devices, one use each.
      </p>
      {isCaMissing(error) ? <NoDeviceCa /> : <ErrorAlert error={error} />}
      <Notice>{notice}</Notice>
      {created ? (
        <OneTimeSecret
          label={`Enrolment token “${created.name}”`}
          value={created.token}
          testId="enrolment-token"
          warning={
            <>
              <strong>Copy this token now.</strong> It is shown only once: Vigil keeps only a hash
              of it. It enrols up to {created.usesTotal}{' '}
              {created.usesTotal === 1 ? 'device' : 'devices'} of model {created.model} until{' '}
              {formatTime(created.expiresAt)}. Hand it to the production line by a channel you
              trust.
            </>
          }
          onDone={() => setCreated(null)}
        >
          <EnrolmentUsage organisationId={orgId} />
        </OneTimeSecret>
      ) : null}
      {tokens.loading && !list ? <p className="muted">Loading…</p> : null}
      {list?.length === 0 ? <p className="muted">No enrolment tokens yet.</p> : null}
      {list && list.length > 0 ? (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Model</th>
                <th scope="col">Site</th>
                <th scope="col">Uses left</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                {manage ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {list.map((token) => {
                const state = tokenState(token, now);
                return (
                  <tr key={token.id}>
                    <td>{token.name}</td>
                    <td>{token.model}</td>
                    <td>{token.site ?? <MissingValue label="Any site" />}</td>
                    <td>
                      {token.usesRemaining} of {token.usesTotal}
                    </td>
                    <td>{formatTime(token.expiresAt)}</td>
                    <td>
                      <span className={`badge badge-token-${state}`}>
                        {TOKEN_STATE_LABELS[state]}
                      </span>
                    </td>
                    {manage ? (
                      <td>
                        {state === 'active' ? (
                          <button
                            type="button"
                            className="danger-outline small"
                            onClick={() => setRevoking(token)}
                          >
                            Revoke<span className="visually-hidden"> token {token.name}</span>
                          </button>
                        ) : null}
                      </td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {manage && !caMissing ? (
        <EnrolmentTokenForm
          orgId={orgId}
          models={models}
          onCreated={(token) => {
            setNotice(null);
            setCreated(token);
            tokens.reload();
          }}
        />
      ) : null}
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the enrolment token “${revoking.name}”?`}
          confirmLabel="Revoke"
          danger
          busy={revoke.busy}
          onConfirm={confirmRevoke}
          onCancel={() => setRevoking(null)}
        >
          <p>
            Its {revoking.usesRemaining} remaining {revoking.usesRemaining === 1 ? 'use' : 'uses'}{' '}
            are cancelled: no further device can enrol with it. Devices that already enrolled are
            not affected. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
