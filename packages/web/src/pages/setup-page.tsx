import { useState } from 'react';
import { inputError, PASSWORDS_DIFFER } from '../api/api-error.js';
import { completeSetup, getSetupStatus } from '../api/client.js';
import { ErrorAlert } from '../components/error-alert.js';
import { Form, TextField } from '../components/form.js';
import { PageHeading } from '../components/page-heading.js';
import { NewPasswordFields } from '../components/password-rules.js';
import { useAction } from '../components/use-action.js';
import { useFragmentToken } from '../components/fragment-token.js';
import { useResource } from '../components/use-resource.js';
import { Link, navigate } from '../router/router.js';

const DONE_NOTICE =
  'Vigil is set up. Sign in with the email and password you chose; you will then add an authenticator app, which admins must use.';

/**
 * First run: the holder of the setup token (printed by `vigil serve` on an
 * empty database) creates the manufacturer organisation and its first admin.
 */
export function SetupPage() {
  const status = useResource(getSetupStatus, []);
  const [token, setToken] = useFragmentToken();
  const [organisationName, setOrganisationName] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const action = useAction();

  async function submit() {
    if (password !== confirm) {
      action.setError(inputError(PASSWORDS_DIFFER));
      return;
    }
    const done = await action.run(() =>
      completeSetup({ token: token.trim(), organisationName, name, email, password }),
    );
    if (done) navigate('/sign-in', { state: { notice: DONE_NOTICE } });
  }

  if (status.data?.required === false) {
    return (
      <>
        <PageHeading>Vigil is already set up</PageHeading>
        <p>This server already has an organisation and an admin.</p>
        <p>
          <Link to="/sign-in">Go to sign-in</Link>
        </p>
      </>
    );
  }

  return (
    <>
      <PageHeading>Set up Vigil</PageHeading>
      <p className="lead">
        Create your organisation — the device manufacturer — and its first admin account. Hospitals
        and clinics you serve are added later.
      </p>
      <ErrorAlert error={action.error ?? status.error} />
      {status.loading ? <p className="muted">Checking whether setup is needed…</p> : null}
      <Form onSubmit={submit} className="stack">
        <TextField
          label="Setup token"
          hint="From the setup link the server printed when it first started (vgl_setup_…)."
          className="mono"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Organisation name"
          hint="For example, Example Medical Devices Ltd."
          value={organisationName}
          onChange={(e) => setOrganisationName(e.target.value)}
          required
          autoComplete="organization"
        />
        <TextField
          label="Your name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          autoComplete="name"
        />
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
          autoComplete="username"
        />
        <fieldset className="stack">
          <legend>Choose a password</legend>
          <NewPasswordFields
            secondFactor
            label="Password"
            password={password}
            confirm={confirm}
            onPassword={setPassword}
            onConfirm={setConfirm}
          />
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            {action.busy ? 'Setting up…' : 'Set up Vigil'}
          </button>
        </div>
      </Form>
    </>
  );
}
