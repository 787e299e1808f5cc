import { useEffect, useId, useRef, useState } from 'react';
import type { ReactNode } from 'react';

interface OneTimeSecretProps {
  readonly label: string;
  readonly value: string;
  /** Why it is shown only once and what to do with it. */
  readonly warning: ReactNode;
  readonly testId?: string;
  /** What to do with it, shown under the copy button (e.g. how a device uses a token). */
  readonly children?: ReactNode;
  /** Offered as "Done": the secret disappears for good. */
  readonly onDone?: () => void;
}

/**
 * A secret the server shows once (an activation link, an API token): a
 * read-only field to select, a copy button and a warning that it cannot be
 * shown again.
 */
export function OneTimeSecret({
  label,
  value,
  warning,
  testId,
  children,
  onDone,
}: OneTimeSecretProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copyStatus, setCopyStatus] = useState('');

  // Take focus (which selects the value) so keyboard and screen reader users
  // land on the secret, not on the button that produced it.
  useEffect(() => {
    input.current?.focus();
  }, [value]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopyStatus('Copied to the clipboard.');
    } catch {
      // No clipboard access (permissions, insecure context): select it for Ctrl+C instead.
      input.current?.select();
      setCopyStatus('Selected: press Ctrl+C (or ⌘C) to copy.');
    }
  }

  return (
    <section className="one-time" aria-labelledby={`${id}-label`}>
      <div className="message message-warning">{warning}</div>
      <label id={`${id}-label`} htmlFor={id}>
        {label}
      </label>
      <div className="copy-row">
        <input
          ref={input}
          id={id}
          className="mono"
          readOnly
          value={value}
          data-testid={testId}
          onFocus={(event) => event.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status" className="hint">
        {copyStatus}
      </p>
      {children}
      {onDone ? (
        <button type="button" className="secondary" onClick={onDone}>
          Done
        </button>
      ) : null}
    </section>
  );
}
