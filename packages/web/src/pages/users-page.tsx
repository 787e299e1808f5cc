import { useState } from 'react';
import { can, ROLE_LABELS } from '../api/access.js';
import {
  activationLink,
  addUser,
  changeRole,
  listUsers,
  removeUser,
  resetPassword,
} from '../api/client.js';
import { ROLES } from '../api/types.js';
import type { AddedUser, Membership, OrgUser, Role } from '../api/types.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorAlert, Notice } from '../components/error-alert.js';
import { Form, SelectField, TextField } from '../components/form.js';
import { OneTimeSecret } from '../components/one-time-secret.js';
import { OrganisationPicker } from '../components/organisation-picker.js';
import { PageHeading } from '../components/page-heading.js';
import { useAction } from '../components/use-action.js';
import { useResource } from '../components/use-resource.js';
import { useMe } from '../session/session.js';

/**
 * The people of one organisation. Admins add people (who get a one-time
 * activation link), change roles, reset passwords and remove people; security
 * engineers and auditors see the list read-only.
 */
export function UsersPage() {
  const me = useMe();
  const readable = me.memberships.filter((m) => can(m.role, 'users:read'));
  return (
    <>
      <PageHeading>Users</PageHeading>
      {readable.length === 0 ? (
        <p>Your role does not include seeing the people of your organisation.</p>
      ) : (
        <OrganisationPicker memberships={readable}>
          {(membership) => (
            <OrganisationUsers key={membership.organisation.id} membership={membership} />
          )}
        </OrganisationPicker>
      )}
    </>
  );
}

type Pending = { kind: 'reset' | 'remove'; user: OrgUser } | null;
interface Revealed {
  label: string;
  value: string;
  warning: string;
}

function OrganisationUsers({ membership }: { readonly membership: Membership }) {
  const me = useMe();
  const orgId = membership.organisation.id;
  const orgName = membership.organisation.name;
  const manage = can(membership.role, 'users:manage');
  const users = useResource(() => listUsers(orgId), [orgId]);
  const action = useAction();
  const [pending, setPending] = useState<Pending>(null);
  const [revealed, setRevealed] = useState<Revealed | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function added(result: AddedUser) {
    users.reload();
    const { user, activationToken } = result;
    if (activationToken === null) {
      setRevealed(null);
      setNotice(`${user.email} already has a Vigil account and can now use ${orgName}.`);
      return;
    }
    setNotice(`${user.name} was added as ${ROLE_LABELS[user.role]}.`);
    setRevealed({
      label: `Activation link for ${user.email}`,
      value: activationLink(activationToken),
      warning: `Send this link to ${user.name} by a channel you trust. It is shown only once and works once: they open it to choose their password.`,
    });
  }

  async function updateRole(user: OrgUser, role: Role) {
    setNotice(null);
    const updated = await action.run(() => changeRole(orgId, user.id, role));
    if (updated) setNotice(`${user.name} is now ${ROLE_LABELS[updated.role]}.`);
    users.reload();
  }

  async function confirmPending() {
    if (pending === null) return;
    const { kind, user } = pending;
    setNotice(null);
    if (kind === 'reset') {
      const answer = await action.run(() => resetPassword(orgId, user.id));
      setPending(null);
      if (!answer) return;
      setRevealed({
        label: `Password reset link for ${user.email}`,
        value: activationLink(answer.resetToken),
        warning: `Give this link to ${user.name} by a channel you trust. It is shown only once; their old password no longer works and their sessions have ended.`,
      });
    } else {
      const done = await action.run(async () => {
        await removeUser(orgId, user.id);
        return true;
      });
      setPending(null);
      if (done) setNotice(`${user.name} was removed from ${orgName}.`);
      users.reload();
    }
  }

  return (
    <div className="stack-lg">
      <ErrorAlert error={action.error ?? users.error} />
      <Notice>{notice}</Notice>
      {revealed ? (
        <OneTimeSecret
          label={revealed.label}
          value={revealed.value}
          warning={revealed.warning}
          testId="activation-link"
          onDone={() => setRevealed(null)}
        />
      ) : null}
      <section aria-labelledby="people-heading">
        <h2 id="people-heading">People in {orgName}</h2>
        {!manage ? (
          <p className="muted">Your role lets you see this list but not change it.</p>
        ) : null}
        {users.loading && !users.data ? <p className="muted">Loading…</p> : null}
        {users.data ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">MFA</th>
                  <th scope="col">Activated</th>
                  {manage ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {users.data.users.map((user) => (
                  <tr key={user.id}>
                    <td>
                      {user.name}
                      {user.id === me.user.id ? <span className="tag">you</span> : null}
                    </td>
                    <td>{user.email}</td>
                    <td>
                      {manage ? (
                        <RoleSelect user={user} onChange={(role) => void updateRole(user, role)} />
                      ) : (
                        ROLE_LABELS[user.role]
                      )}
                    </td>
                    <td>{user.mfaEnabled ? 'On' : 'Off'}</td>
                    <td>{user.activated ? 'Yes' : 'Not yet'}</td>
                    {manage ? (
                      <td>
                        <div className="row-actions">
                          <button
                            type="button"
                            className="secondary small"
                            onClick={() => setPending({ kind: 'reset', user })}
                          >
                            Reset password<span className="visually-hidden"> of {user.name}</span>
                          </button>
                          <button
                            type="button"
                            className="danger-outline small"
                            onClick={() => setPending({ kind: 'remove', user })}
                          >
                            Remove<span className="visually-hidden"> {user.name}</span>
                          </button>
                        </div>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {manage ? <AddPersonForm orgId={orgId} onAdded={added} /> : null}
      {pending?.kind === 'reset' ? (
        <ConfirmDialog
          title={`Reset the password of ${pending.user.name}?`}
          confirmLabel="Reset password"
          danger
          busy={action.busy}
          onConfirm={confirmPending}
          onCancel={() => setPending(null)}
        >
          <p>
            Their current password stops working and they are signed out everywhere. You will get a
            one-time link to give them so they can choose a new one.
          </p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === 'remove' ? (
        <ConfirmDialog
          title={`Remove ${pending.user.name} from ${orgName}?`}
          confirmLabel="Remove"
          danger
          busy={action.busy}
          onConfirm={confirmPending}
          onCancel={() => setPending(null)}
        >
          <p>They lose access to {orgName} at once.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}

function RoleSelect({
  user,
  onChange,
}: {
  readonly user: OrgUser;
  readonly onChange: (role: Role) => void;
}) {
  const id = `role-${user.id}`;
  return (
    <>
      <label htmlFor={id} className="visually-hidden">
        Role of {user.name}
      </label>
      <select id={id} value={user.role} onChange={(e) => onChange(e.target.value as Role)}>
        {ROLES.map((role) => (
          <option key={role} value={role}>
            {ROLE_LABELS[role]}
          </option>
        ))}
      </select>
    </>
  );
}

function AddPersonForm({
  orgId,
  onAdded,
}: {
  readonly orgId: string;
  readonly onAdded: (result: AddedUser) => void;
}) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('clinician');
  const action = useAction();

  async function submit() {
    const result = await action.run(() =>
      addUser(orgId, { email: email.trim(), name: name.trim(), role }),
    );
    if (!result) return;
    setEmail('');
    setName('');
    setRole('clinician');
    onAdded(result);
  }

  return (
    <section aria-labelledby="add-person-heading" className="panel">
      <h2 id="add-person-heading">Add person</h2>
      <ErrorAlert error={action.error} />
      <Form onSubmit={submit} className="form-grid">
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
          autoComplete="off"
        />
        <TextField
          label="Name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          autoComplete="off"
        />
        <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            Add person
          </button>
        </div>
      </Form>
    </section>
  );
}
