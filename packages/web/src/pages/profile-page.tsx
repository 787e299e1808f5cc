import { useState } from 'react';
import { inputError, PASSWORDS_DIFFER } from '../api/api-error.js';
import { roleRequiresMfa, ROLE_LABELS } from '../api/access.js';
import { changePassword, removeTotp, signOutEverywhere } from '../api/client.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { ErrorAlert, Notice } from '../components/error-alert.js';
import { Form, TextField } from '../components/form.js';
import { PageHeading } from '../components/page-heading.js';
import { NewPasswordFields } from '../components/password-rules.js';
import { useAction } from '../components/use-action.js';
import { Link } from '../router/router.js';
import { useMe, useSession } from '../session/session.js';

/** The signed-in person's account: password, second factor, sessions. */
export function ProfilePage() {
  const me = useMe();
  const idleMinutes = Math.round(me.session.idleTimeoutSeconds / 60);
  return (
    <>
      <PageHeading>Profile</PageHeading>
      <div className="stack-lg">
        <section aria-labelledby="you-heading" className="panel">
          <h2 id="you-heading">You</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{me.user.name}</dd>
            <dt>Email</dt>
            <dd>{me.user.email}</dd>
            <dt>Roles</dt>
            <dd>
              {me.memberships.length === 0
                ? 'None'
                : me.memberships
                    .map((m) => `${ROLE_LABELS[m.role]} at ${m.organisation.name}`)
                    .join('; ')}
            </dd>
          </dl>
        </section>
        <PasswordSection />
        <MfaSection />
        <SessionsSection idleMinutes={idleMinutes} />
      </div>
    </>
  );
}

function PasswordSection() {
  const me = useMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();

  async function submit() {
    setNotice(null);
    if (next !== confirm) {
      action.setError(inputError(PASSWORDS_DIFFER));
      return;
    }
    const done = await action.run(async () => {
      await changePassword(current, next);
      return true;
    });
    if (!done) return;
    setCurrent('');
    setNext('');
    setConfirm('');
    setNotice('Your password is changed. Your other sessions were signed out.');
  }

  return (
    <section aria-labelledby="password-heading" className="panel">
      <h2 id="password-heading">Change password</h2>
      <ErrorAlert error={action.error} />
      <Notice>{notice}</Notice>
      <Form onSubmit={submit} className="stack">
        <TextField
          label="Current password"
          type="password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          required
          autoComplete="current-password"
        />
        <NewPasswordFields
          secondFactor={me.user.mfaEnabled}
          password={next}
          confirm={confirm}
          onPassword={setNext}
          onConfirm={setConfirm}
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            Change password
          </button>
        </div>
      </Form>
    </section>
  );
}

function MfaSection() {
  const me = useMe();
  const { refresh } = useSession();
  const [removing, setRemoving] = useState(false);
  const [password, setPassword] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const action = useAction();
  const mandatory = me.memberships.filter((m) => roleRequiresMfa(m.role));

  async function remove() {
    const done = await action.run(async () => {
      await removeTotp(password);
      await refresh();
      return true;
    });
    setPassword('');
    setRemoving(false);
    if (done) setNotice('Two-step verification is off.');
  }

  return (
    <section aria-labelledby="mfa-heading" className="panel">
      <h2 id="mfa-heading">Two-step verification</h2>
      <ErrorAlert error={action.error} />
      <Notice>{notice}</Notice>
      <p>
        Status: <strong>{me.user.mfaEnabled ? 'On' : 'Off'}</strong>
        {me.user.mfaEnabled ? ' (authenticator app)' : null}
      </p>
      {!me.user.mfaEnabled ? (
        <p>
          <Link to="/enrol-mfa" className="button-link">
            Set up an authenticator app
          </Link>
        </p>
      ) : mandatory.length > 0 ? (
        <p className="muted">
          Your role ({mandatory.map((m) => ROLE_LABELS[m.role]).join(', ')}) requires it, so it
          cannot be turned off.
        </p>
      ) : (
        <button type="button" className="danger-outline" onClick={() => setRemoving(true)}>
          Turn off two-step verification
        </button>
      )}
      {removing ? (
        <ConfirmDialog
          title="Turn off two-step verification?"
          confirmLabel="Turn off"
          danger
          busy={action.busy}
          onConfirm={remove}
          onCancel={() => {
            setPassword('');
            setRemoving(false);
          }}
        >
          <p>Your account will be protected by your password alone. Confirm with your password.</p>
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
            data-initial-focus=""
          />
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function SessionsSection({ idleMinutes }: { readonly idleMinutes: number }) {
  const { forget } = useSession();
  const [confirming, setConfirming] = useState(false);
  const action = useAction();

  async function everywhere() {
    const done = await action.run(async () => {
      await signOutEverywhere();
      return true;
    });
    setConfirming(false);
    if (done) forget('You were signed out on every device, including this one.');
  }

  return (
    <section aria-labelledby="sessions-heading" className="panel">
      <h2 id="sessions-heading">Sessions</h2>
      <ErrorAlert error={action.error} />
      <p>
        You are signed out automatically after {idleMinutes} minutes without activity. If you signed
        in on a shared or lost device, sign out everywhere.
      </p>
      <button type="button" className="danger-outline" onClick={() => setConfirming(true)}>
        Sign out everywhere
      </button>
      {confirming ? (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          danger
          busy={action.busy}
          onConfirm={everywhere}
          onCancel={() => setConfirming(false)}
        >
          <p>Every session of your account ends, including this one.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
