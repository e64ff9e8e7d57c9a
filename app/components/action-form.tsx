'use client';
/**
 * A form bound to a defineAction server action: shows field errors beside the fields, a toast on
 * every answer and, with `keepMessage`, the answer as a lasting callout (for things shown once,
 * such as a new password). Works with JavaScript off too (plain form post).
 */
import {
  createContext,
  startTransition,
  useActionState,
  useContext,
  useEffect,
  useRef,
  type ReactNode,
} from 'react';
import type { FormState } from '@/lib/audit/server';
import { useToast } from './toaster';

type ServerAction = (state: FormState | undefined, form: FormData) => Promise<FormState>;

const FieldErrors = createContext<Record<string, string> | undefined>(undefined);

/** The server's error for a field of the enclosing ActionForm (for custom fields beside Field). */
export function useFieldError(name: string): string | undefined {
  return useContext(FieldErrors)?.[name];
}

export function ActionForm({
  action,
  children,
  submitLabel,
  className,
  keepMessage = false,
  resetOnSuccess = true,
  submitVariant = 'primary',
  testId,
}: {
  action: ServerAction;
  children?: ReactNode;
  submitLabel: string;
  className?: string;
  keepMessage?: boolean;
  resetOnSuccess?: boolean;
  submitVariant?: 'primary' | 'secondary' | 'danger';
  testId?: string;
}) {
  const [state, formAction, pending] = useActionState(action, undefined);
  const toast = useToast();
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!state) return;
    if (!keepMessage || !state.ok) toast(state.message, state.ok ? 'success' : 'error');
    if (state.ok && resetOnSuccess) formRef.current?.reset();
  }, [state, keepMessage, resetOnSuccess, toast]);
  return (
    <FieldErrors.Provider value={state?.ok ? undefined : state?.fieldErrors}>
      {/* Submitted through onSubmit so React does not reset the fields when the action answers
          with errors (what the user typed stays); `action` remains for browsers without JS. */}
      <form
        ref={formRef}
        action={formAction}
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          startTransition(() => formAction(data));
        }}
        className={className ?? 'space-y-4'}
        data-testid={testId}
        noValidate
      >
        {children}
        {keepMessage && state?.ok ? (
          <div
            role="status"
            className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900 break-words"
          >
            {state.message}
          </div>
        ) : null}
        <SubmitButton label={submitLabel} variant={submitVariant} pending={pending} />
      </form>
    </FieldErrors.Provider>
  );
}

const variants = {
  primary: 'bg-blue-700 text-white hover:bg-blue-800 focus-visible:ring-blue-500',
  secondary: 'border border-slate-300 bg-white text-slate-800 hover:bg-slate-50 focus-visible:ring-slate-400',
  danger: 'bg-red-600 text-white hover:bg-red-700 focus-visible:ring-red-500',
};

function SubmitButton({
  label,
  variant,
  pending,
}: {
  label: string;
  variant: keyof typeof variants;
  pending: boolean;
}) {
  return (
    <button
      type="submit"
      disabled={pending}
      className={`inline-flex items-center justify-center rounded-md px-4 py-2 text-sm font-medium shadow-sm transition focus:outline-none focus-visible:ring-2 focus-visible:ring-offset-2 disabled:opacity-60 ${variants[variant]}`}
    >
      {pending ? '…' : label}
    </button>
  );
}

/** A labelled input whose error (from the action's answer) shows beneath it. */
/** A field's label, with the required mark; `spacing` goes before the common classes. */
export function FieldLabel({
  id,
  label,
  required,
  spacing,
}: {
  id: string;
  label: string;
  required?: boolean;
  spacing?: string;
}) {
  return (
    <label htmlFor={id} className={`${spacing ? `${spacing} ` : ''}block text-sm font-medium text-slate-700`}>
      {label}
      {required ? <span className="text-red-600"> *</span> : null}
    </label>
  );
}

/** Border and focus ring of a text control, red while its field has an error. */
export function fieldBorder(error: string | undefined): string {
  return error
    ? 'border-red-400 focus:ring-red-300'
    : 'border-slate-300 focus:border-blue-500 focus:ring-blue-200';
}

/** Beneath a field: its error, else its hint. */
export function FieldNote({
  error,
  hint,
  errorId,
  testId,
}: {
  error?: string;
  hint?: string;
  errorId?: string;
  testId?: string;
}) {
  if (error) {
    return (
      <p id={errorId} className="mt-1 text-xs text-red-600" data-testid={testId}>
        {error}
      </p>
    );
  }
  return hint ? <p className="mt-1 text-xs text-slate-500">{hint}</p> : null;
}

export function Field({
  name,
  label,
  type = 'text',
  defaultValue,
  placeholder,
  required,
  autoComplete,
  hint,
  inputMode,
}: {
  name: string;
  label: string;
  type?: string;
  defaultValue?: string | number;
  placeholder?: string;
  required?: boolean;
  autoComplete?: string;
  hint?: string;
  inputMode?: 'numeric' | 'text' | 'email';
}) {
  const error = useContext(FieldErrors)?.[name];
  const id = `f-${name}`;
  return (
    <div>
      <FieldLabel id={id} label={label} required={required} />
      <input
        id={id}
        name={name}
        type={type}
        defaultValue={defaultValue}
        placeholder={placeholder}
        autoComplete={autoComplete}
        inputMode={inputMode}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className={`mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${fieldBorder(error)}`}
      />
      <FieldNote error={error} hint={hint} errorId={`${id}-error`} />
    </div>
  );
}

export function SelectField({
  name,
  label,
  options,
  defaultValue,
}: {
  name: string;
  label: string;
  options: { value: string; label: string }[];
  defaultValue?: string;
}) {
  const error = useContext(FieldErrors)?.[name];
  return (
    <div>
      <FieldLabel id={`f-${name}`} label={label} />
      <select
        id={`f-${name}`}
        name={name}
        defaultValue={defaultValue}
        className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200"
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <FieldNote error={error} />
    </div>
  );
}

export function CheckboxField({
  name,
  label,
  defaultChecked,
}: {
  name: string;
  label: string;
  defaultChecked?: boolean;
}) {
  return (
    <label className="flex items-start gap-2 text-sm text-slate-700">
      <input
        type="checkbox"
        name={name}
        defaultChecked={defaultChecked}
        className="mt-0.5 h-4 w-4 rounded border-slate-300 text-blue-700 focus:ring-blue-500"
      />
      <span>{label}</span>
    </label>
  );
}

/** The two fields of a password change: the current password, then the new one with its policy hint. */
export function PasswordChangeFields({
  currentLabel,
  newLabel,
  hint,
}: {
  currentLabel: string;
  newLabel: string;
  hint: string;
}) {
  return (
    <>
      <Field
        name="currentPassword"
        label={currentLabel}
        type="password"
        autoComplete="current-password"
        required
      />
      <Field
        name="newPassword"
        label={newLabel}
        type="password"
        autoComplete="new-password"
        required
        hint={hint}
      />
    </>
  );
}
