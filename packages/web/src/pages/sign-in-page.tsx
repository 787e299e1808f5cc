import { useState } from 'react';
import { signIn, signOut, submitMfaCode } from '../api/client.js';
import type { SessionState } from '../api/types.js';
import { ErrorAlert } from '../components/error-alert.js';
import { Form, TextField } from '../components/form.js';
import { PageHeading } from '../components/page-heading.js';
import { useAction } from '../components/use-action.js';
import { navigate, useLocation } from '../router/router.js';
import { useSession } from '../session/session.js';

/**
 * Email and password, then — for accounts with MFA — the authenticator's
 * one-time code on the same page. Accounts whose role requires MFA but have
 * none yet go on to enrolment.
 */
export function SignInPage() {
  const { me, refresh } = useSession();
  const { from } = useLocation();
  const [step, setStep] = useState<'password' | 'code'>(
    me?.session.state === 'mfa-pending' ? 'code' : 'password',
  );
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const action = useAction();

  async function proceed(state: SessionState) {
    switch (state) {
      case 'mfa-pending':
        setStep('code');
        return;
      case 'mfa-enrolment':
        await refresh();
        navigate('/enrol-mfa');
        return;
      case 'active':
        await refresh();
        navigate(from && from.startsWith('/') && !from.startsWith('//') ? from : '/');
        return;
    }
  }

  async function submitPassword() {
    const answer = await action.run(() => signIn(email.trim(), password));
    setPassword('');
    if (answer) await action.run(() => proceed(answer.state));
  }

  async function submitCode() {
    const answer = await action.run(() => submitMfaCode(code.trim()));
    setCode('');
    if (answer) await action.run(() => proceed(answer.state));
  }

  async function startOver() {
    await action.run(signOut);
    setStep('password');
  }

  if (step === 'code') {
    return (
      <>
        <PageHeading>Enter your one-time code</PageHeading>
        <p className="lead">
          Open your authenticator app and type the 6-digit code it shows for Vigil.
        </p>
        <ErrorAlert error={action.error} />
        <Form onSubmit={submitCode} className="stack">
          <TextField
            label="6-digit code"
            className="code-input"
            value={code}
            onChange={(e) => setCode(e.target.value)}
            required
            inputMode="numeric"
            pattern="[0-9]{6}"
            maxLength={6}
            autoComplete="one-time-code"
            autoFocus
          />
          <div className="actions">
            <button type="submit" className="primary" aria-disabled={action.busy}>
              Verify
            </button>
            <button type="button" className="link-button" onClick={() => void startOver()}>
              Use a different account
            </button>
          </div>
        </Form>
      </>
    );
  }

  return (
    <>
      <PageHeading>Sign in</PageHeading>
      <ErrorAlert error={action.error} />
      <Form onSubmit={submitPassword} className="stack">
        <TextField
          label="Email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
          autoComplete="username"
        />
        <TextField
          label="Password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
          autoComplete="current-password"
        />
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={action.busy}>
            {action.busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </Form>
      <p className="muted">
        Forgotten your password? Ask an admin of your organisation for a reset link.
      </p>
    </>
  );
}
