import { useId } from 'react';
import type {
  FormHTMLAttributes,
  InputHTMLAttributes,
  ReactNode,
  SelectHTMLAttributes,
} from 'react';

interface FormProps extends Omit<FormHTMLAttributes<HTMLFormElement>, 'onSubmit'> {
  /** Runs on submit (button or Enter), after the browser's own field checks pass. */
  readonly onSubmit: () => void | Promise<void>;
}

export function Form({ onSubmit, children, ...rest }: FormProps) {
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void onSubmit();
      }}
      {...rest}
    >
      {children}
    </form>
  );
}

interface FieldFrameProps {
  readonly label: ReactNode;
  readonly hint?: ReactNode | undefined;
  readonly id?: string | undefined;
}

function useFieldIds(id: string | undefined, hint: ReactNode) {
  const generated = useId();
  const inputId = id ?? generated;
  return { inputId, hintId: hint ? `${inputId}-hint` : undefined };
}

type TextFieldProps = FieldFrameProps & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

/** A labelled input; the hint is tied to it with aria-describedby. */
export function TextField({ label, hint, id, className, ...input }: TextFieldProps) {
  const { inputId, hintId } = useFieldIds(id, hint);
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={inputId}>{label}</label>
      {hint ? (
        <div id={hintId} className="hint">
          {hint}
        </div>
      ) : null}
      <input id={inputId} aria-describedby={hintId} {...input} />
    </div>
  );
}

type SelectFieldProps = FieldFrameProps &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & { readonly children: ReactNode };

export function SelectField({ label, hint, id, className, children, ...select }: SelectFieldProps) {
  const { inputId, hintId } = useFieldIds(id, hint);
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={inputId}>{label}</label>
      {hint ? (
        <div id={hintId} className="hint">
          {hint}
        </div>
      ) : null}
      <select id={inputId} aria-describedby={hintId} {...select}>
        {children}
      </select>
    </div>
  );
}
