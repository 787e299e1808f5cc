import { TextField } from './form.js';

/**
 * The password rules, as NIST SP 800-63B rev. 4 §3.1.1.2 has them and the
 * server enforces them: length, not composition; common and breached
 * passwords refused; no name or email inside.
 */
export function PasswordRules({ secondFactor }: { readonly secondFactor: boolean }) {
  return (
    <ul className="rules">
      {secondFactor ? (
        <li>
          At least 8 characters are accepted because you sign in with a second factor, but use a
          long passphrase: 15 characters or more, such as four unrelated words.
        </li>
      ) : (
        <li>
          At least 15 characters (8 once two-step verification is on). A passphrase of four or more
          unrelated words is easy to type and hard to guess.
        </li>
      )}
      <li>Any characters, including spaces; no rules about digits or symbols.</li>
      <li>Not a common or breached password, and not containing your name or email.</li>
    </ul>
  );
}

interface NewPasswordFieldsProps {
  readonly secondFactor: boolean;
  readonly password: string;
  readonly confirm: string;
  readonly onPassword: (value: string) => void;
  readonly onConfirm: (value: string) => void;
  /** "Password" on first run, "New password" where one is being replaced. */
  readonly label?: string;
}

/** The rules, then the new password twice: the same on setup, activation and password change. */
export function NewPasswordFields({
  secondFactor,
  password,
  confirm,
  onPassword,
  onConfirm,
  label = 'New password',
}: NewPasswordFieldsProps) {
  return (
    <>
      <PasswordRules secondFactor={secondFactor} />
      <TextField
        label={label}
        type="password"
        value={password}
        onChange={(e) => onPassword(e.target.value)}
        required
        minLength={8}
        autoComplete="new-password"
      />
      <TextField
        label={`Confirm ${label.toLowerCase()}`}
        type="password"
        value={confirm}
        onChange={(e) => onConfirm(e.target.value)}
        required
        autoComplete="new-password"
      />
    </>
  );
}
