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
