import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';
import { Form } from './form.js';

interface ConfirmDialogProps {
  readonly title: string;
  readonly children?: ReactNode;
  readonly confirmLabel: string;
  /** A destructive action: the confirm button is red and focus starts on Cancel. */
  readonly danger?: boolean;
  readonly busy?: boolean;
  readonly onConfirm: () => void | Promise<void>;
  readonly onCancel: () => void;
}

/**
 * A modal confirmation built on <dialog>: the browser traps focus inside it,
 * Escape cancels, Enter confirms (it is a form), and focus returns to where
 * it was when it closes. Render it only while it should be open.
 *
 * Focus starts on the element marked `data-initial-focus` (e.g. a password
 * field), else on Cancel.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger = false,
  busy = false,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const titleId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    const returnFocus = document.activeElement;
    element.showModal();
    const initial = element.querySelector<HTMLElement>('[data-initial-focus]') ?? cancel.current;
    initial?.focus();
    return () => {
      element.close();
      if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        // Escape: let React state close it, so the two never disagree.
        event.preventDefault();
        onCancel();
      }}
    >
      <Form onSubmit={() => (busy ? undefined : onConfirm())}>
        <h2 id={titleId}>{title}</h2>
        {children}
        <div className="actions">
          <button type="button" ref={cancel} className="secondary" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className={danger ? 'danger' : 'primary'} aria-disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </Form>
    </dialog>
  );
}
