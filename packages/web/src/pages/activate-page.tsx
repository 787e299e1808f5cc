import { useState } from 'react';
import { inputError, PASSWORDS_DIFFER } from '../api/api-error.js';
import { activate } from '../api/client.js';
import { ErrorAlert } from '../components/error-alert.js';
import { Form, TextField } from '../components/form.js';
import { useFragmentToken } from '../components/fragment-token.js';
import { PageHeading } from '../components/page-heading.js';
import { NewPasswordFields } from '../components/password-rules.js';
import { useAction } from '../components/use-action.js';
import { navigate } from '../router/router.js';

const DONE_NOTICE = 'Your password is set. Sign in with your email address and the new password.';

/** Opens an activation or password-reset link and sets the account's password. */
export function ActivatePage() {
  const [token, setToken] = useFragmentToken();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const action = useAction();

  async function submit() {
    if (password !== confirm) {
      action.setError(inputError(PASSWORDS_DIFFER));
      return;
    }
    const done = await action.run(async () => {
      await activate(token.trim(), password);
      return true;
    });
    if (done) navigate('/sign-in', { state: { notice: DONE_NOTICE } });
  }

  return (
    <>
      <PageHeading>Choose your password</PageHeading>
      <p className="lead">
        You were invited to Vigil, or an admin reset your password. Choose a password to finish.
      </p>
      <ErrorAlert error={action.error} />
      <Form onSubmit={submit} className="stack">
        <TextField
          label="Activation code"
          hint="Filled in from your link. If it is empty, open the link you were sent again."
          className="mono"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
        />
        <NewPasswordFields
          secondFactor={false}
          password={password}
          confirm={confirm}
          onPassword={setPassword}
          onConfirm={setConfirm}
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            Set password
          </button>
        </div>
      </Form>
    </>
  );
}
