import { useState } from 'react';
import { inputError } from '../api/api-error.js';
import { can, SCOPE_DESCRIPTIONS } from '../api/access.js';
import { createToken, listTokens, revokeToken } from '../api/client.js';
import { SCOPES } from '../api/types.js';
import type { ApiToken, CreatedApiToken, Scope } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorAlert, Notice } from '../components/error-alert.js';
import { Form, SelectField, TextField } from '../components/form.js';
import { formatTime } from '../components/format.js';
import { OneTimeSecret } from '../components/one-time-secret.js';
import { PageHeading } from '../components/page-heading.js';
import { useAction } from '../components/use-action.js';
import { useResource } from '../components/use-resource.js';
import { useMe } from '../session/session.js';

/**
 * Personal API tokens for automation (`Authorization: Bearer vgl_pat_…`):
 * bound to one organisation and a set of scopes, expiring after 1–365 days,
 * shown once at creation.
 */
export function TokensPage() {
  const me = useMe();
  const tokens = useResource(listTokens, []);
  const revoke = useAction();
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const orgNames = new Map(me.memberships.map((m) => [m.organisation.id, m.organisation.name]));

  async function confirmRevoke() {
    if (revoking === null) return;
    const token = revoking;
    const done = await revoke.run(async () => {
      await revokeToken(token.id);
      return true;
    });
    setRevoking(null);
    if (done) setNotice(`The token “${token.name}” is revoked; requests using it now fail.`);
    tokens.reload();
  }

  const now = Date.now();
  return (
    <>
      <PageHeading>API tokens</PageHeading>
      <p className="lead">
        Tokens let scripts and integrations call the Vigil API as you, within one organisation and
        only for the scopes you choose. They cannot manage sessions, passwords, MFA or other tokens.
      </p>
      <div className="stack-lg">
        <ErrorAlert error={revoke.error ?? tokens.error} />
        <Notice>{notice}</Notice>
        {created ? (
          <OneTimeSecret
            label={`Token “${created.name}”`}
            value={created.token}
            testId="api-token"
            warning={
              <>
                <strong>Copy this token now.</strong> It is shown only once: Vigil keeps only a hash
                of it. Store it in a secret manager, never in source code.
              </>
            }
            onDone={() => setCreated(null)}
          />
        ) : null}
        <section aria-labelledby="tokens-heading">
          <h2 id="tokens-heading">Your tokens</h2>
          {tokens.loading && !tokens.data ? <p className="muted">Loading…</p> : null}
          {tokens.data && tokens.data.tokens.length === 0 ? (
            <p className="muted">You have no API tokens.</p>
          ) : null}
          {tokens.data && tokens.data.tokens.length > 0 ? (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Organisation</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {tokens.data.tokens.map((token) => {
                    const status =
                      token.revokedAt !== null
                        ? 'Revoked'
                        : token.expiresAt <= now
                          ? 'Expired'
                          : 'Active';
                    return (
                      <tr key={token.id}>
                        <td>{token.name}</td>
                        <td>{orgNames.get(token.organisationId) ?? token.organisationId}</td>
                        <td>
                          <ul className="scope-list">
                            {token.scopes.map((s) => (
                              <li key={s}>
                                <code>{s}</code>
                              </li>
                            ))}
                          </ul>
                        </td>
                        <td>{formatTime(token.createdAt)}</td>
                        <td>{formatTime(token.expiresAt)}</td>
                        <td>
                          {token.lastUsedAt === null ? 'Never' : formatTime(token.lastUsedAt)}
                        </td>
                        <td>
                          <span className={`tag tag-${status.toLowerCase()}`}>{status}</span>
                        </td>
                        <td>
                          {status === 'Active' ? (
                            <button
                              type="button"
                              className="danger-outline small"
                              onClick={() => setRevoking(token)}
                            >
                              Revoke<span className="visually-hidden"> {token.name}</span>
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : null}
        </section>
        <CreateTokenForm
          onCreated={(token) => {
            setNotice(null);
            setCreated(token);
            tokens.reload();
          }}
        />
      </div>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the token “${revoking.name}”?`}
          confirmLabel="Revoke"
          danger
          busy={revoke.busy}
          onConfirm={confirmRevoke}
          onCancel={() => setRevoking(null)}
        >
          <p>Anything still using it stops working at once. This cannot be undone.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

function CreateTokenForm({ onCreated }: { readonly onCreated: (token: CreatedApiToken) => void }) {
  const me = useMe();
  const [name, setName] = useState('');
  const [organisationId, setOrganisationId] = useState(me.memberships[0]?.organisation.id ?? '');
  const [scopes, setScopes] = useState<ReadonlySet<Scope>>(new Set(['org:read']));
  const [days, setDays] = useState('30');
  const action = useAction();
  const role = me.memberships.find((m) => m.organisation.id === organisationId)?.role;

  function toggle(scope: Scope, on: boolean) {
    const next = new Set(scopes);
    if (on) next.add(scope);
    else next.delete(scope);
    setScopes(next);
  }

  async function submit() {
    // Only scopes the role holds in the chosen organisation; the server refuses the rest anyway.
    const chosen = SCOPES.filter((s) => scopes.has(s) && role !== undefined && can(role, s));
    if (chosen.length === 0) {
      action.setError(inputError('Choose at least one scope.'));
      return;
    }
    const token = await action.run(() =>
      createToken({
        name: name.trim(),
        organisationId,
        scopes: chosen,
        expiresInDays: Number(days),
      }),
    );
    if (!token) return;
    setName('');
    onCreated(token);
  }

  if (me.memberships.length === 0) return null;
  return (
    <section aria-labelledby="create-token-heading" className="panel">
      <h2 id="create-token-heading">Create a token</h2>
      <ErrorAlert error={action.error} />
      <Form onSubmit={submit} className="stack">
        <TextField
          label="Name"
          hint="What will use it, e.g. “SIEM export” or “release pipeline”."
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
          autoComplete="off"
        />
        <SelectField
          label="Organisation"
          value={organisationId}
          onChange={(e) => setOrganisationId(e.target.value)}
        >
          {me.memberships.map((m) => (
            <option key={m.organisation.id} value={m.organisation.id}>
              {m.organisation.name}
            </option>
          ))}
        </SelectField>
        <fieldset className="checkboxes">
          <legend>Scopes</legend>
          {SCOPES.map((scope) => {
            const allowed = role !== undefined && can(role, scope);
            const id = `scope-${scope.replace(':', '-')}`;
            return (
              <div key={scope} className="checkbox">
                <input
                  type="checkbox"
                  id={id}
                  checked={allowed && scopes.has(scope)}
                  disabled={!allowed}
                  onChange={(e) => toggle(scope, e.target.checked)}
                />
                <label htmlFor={id}>
                  <code>{scope}</code> — {SCOPE_DESCRIPTIONS[scope]}
                  {allowed ? null : <span className="muted"> (not part of your role here)</span>}
                </label>
              </div>
            );
          })}
        </fieldset>
        <TextField
          label="Expires after (days)"
          hint="From 1 to 365 days."
          className="narrow"
          type="number"
          min={1}
          max={365}
          step={1}
          value={days}
          onChange={(e) => setDays(e.target.value)}
          required
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            Create token
          </button>
        </div>
      </Form>
    </section>
  );
}
