import { useEffect, useRef, useState } from 'react';
import { beginTotpEnrolment, confirmTotpEnrolment } from '../api/client.js';
import type { TotpEnrolment } from '../api/types.js';
import { ErrorAlert } from '../components/error-alert.js';
import { Form, TextField } from '../components/form.js';
import { PageHeading } from '../components/page-heading.js';
import { useAction } from '../components/use-action.js';
import { Link, navigate } from '../router/router.js';
import { useSession } from '../session/session.js';

/** Groups a base32 secret in fours, as authenticator apps print them. */
function groupSecret(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

/**
 * TOTP enrolment (RFC 6238): the server makes a secret, the person adds it to
 * an authenticator app and proves it with a first code. Required before an
 * admin or security engineer can do anything else.
 */
export function EnrolMfaPage() {
  const { me, refresh, signOut } = useSession();
  const begin = useAction();
  const confirm = useAction();
  const [enrolment, setEnrolment] = useState<TotpEnrolment | null>(null);
  const [code, setCode] = useState('');
  const started = useRef(false);
  const alreadyOn = me?.user.mfaEnabled === true;

  async function start() {
    const answer = await begin.run(beginTotpEnrolment);
    if (answer) setEnrolment(answer);
  }

  useEffect(() => {
    // Each call makes a new secret: begin once, even when React mounts twice in development.
    if (alreadyOn || started.current) return;
    started.current = true;
    void start();
  }, []);

  async function submit() {
    const answer = await confirm.run(() => confirmTotpEnrolment(code.trim()));
    setCode('');
    if (!answer) return;
    await confirm.run(refresh);
    navigate('/', { state: { notice: 'Two-step verification is on for your account.' } });
  }

  const mustEnrol = me?.session.state === 'mfa-enrolment';

  return (
    <>
      <PageHeading>Set up two-step verification</PageHeading>
      {mustEnrol ? (
        <p className="lead">
          Your role requires a second factor. Add Vigil to an authenticator app on your phone (any
          app that supports time-based one-time codes), then enter the code it shows.
        </p>
      ) : (
        <p className="lead">
          Add Vigil to an authenticator app on your phone (any app that supports time-based one-time
          codes), then enter the code it shows.
        </p>
      )}
      <ErrorAlert error={begin.error ?? confirm.error} />
      {alreadyOn && !enrolment ? (
        <div className="stack">
          <p>
            Two-step verification is already on. Starting again replaces your authenticator once you
            confirm a code from the new one.
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => void start()}>
              Replace my authenticator
            </button>
          </div>
        </div>
      ) : null}
      {begin.busy ? <p className="muted">Creating your secret…</p> : null}
      {enrolment ? (
        <div className="stack">
          <ol className="steps">
            <li>
              <p>In your authenticator app, add an account and type this key:</p>
              <p className="secret">
                <code data-testid="totp-secret">{groupSecret(enrolment.secret)}</code>
              </p>
              <p className="hint">Time-based, 6 digits, every 30 seconds (SHA-1).</p>
              <details>
                <summary>Show the setup address (otpauth URI) instead</summary>
                <p className="hint">
                  Some apps and password managers accept this address pasted in whole.
                </p>
                <code className="uri">{enrolment.uri}</code>
              </details>
            </li>
            <li>
              <Form onSubmit={submit} className="stack">
                <TextField
                  label="6-digit code from your app"
                  className="code-input"
                  value={code}
                  onChange={(e) => setCode(e.target.value)}
                  required
                  inputMode="numeric"
                  pattern="[0-9]{6}"
                  maxLength={6}
                  autoComplete="one-time-code"
                />
                <div className="actions">
                  <button type="submit" className="primary" aria-disabled={confirm.busy}>
                    Confirm
                  </button>
                </div>
              </Form>
            </li>
          </ol>
        </div>
      ) : null}
      <p className="muted">
        {mustEnrol ? (
          <button type="button" className="link-button" onClick={() => void signOut()}>
            Sign out and do this later
          </button>
        ) : (
          <Link to="/profile">Back to your profile</Link>
        )}
      </p>
    </>
  );
}
