'use client';
/**
 * A text area that a file can fill (read in the browser, so the server action receives text):
 * PEM certificates, LDIF. A binary DER certificate (.cer) is turned into PEM on the way.
 */
import { useEffect, useRef, useState } from 'react';
import { FieldLabel, FieldNote, fieldBorder, useFieldError } from '@/app/components/action-form';

function derToPem(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const body = btoa(binary).replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

export function TextFileField({
  name,
  label,
  fileLabel,
  hint,
  accept,
  rows = 6,
  certificates = false,
  required,
}: {
  name: string;
  label: string;
  fileLabel: string;
  hint?: string;
  accept: string;
  rows?: number;
  /** the file may be a DER certificate: convert it to PEM */
  certificates?: boolean;
  required?: boolean;
}) {
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  // the enclosing ActionForm resets itself after a success: the controlled text follows
  useEffect(() => {
    const form = area.current?.form;
    const clear = () => setText('');
    form?.addEventListener('reset', clear);
    return () => form?.removeEventListener('reset', clear);
  }, []);
  const error = useFieldError(name);
  const id = `f-${name}`;
  return (
    <div>
      <label htmlFor={`${id}-file`} className="block text-sm font-medium text-slate-700">
        {fileLabel}
      </label>
      <input
        id={`${id}-file`}
        type="file"
        accept={accept}
        className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium"
        onChange={async (e) => {
          const file = e.target.files?.[0];
          if (!file) return;
          const bytes = new Uint8Array(await file.arrayBuffer());
          const content =
            certificates && bytes[0] === 0x30 ? derToPem(bytes) : new TextDecoder().decode(bytes);
          // several certificate files can be added one after the other
          setText((previous) =>
            certificates && previous.trim() ? `${previous.trim()}\n${content}` : content,
          );
          e.target.value = '';
        }}
      />
      <FieldLabel id={id} label={label} required={required} spacing="mt-3" />
      <textarea
        ref={area}
        id={id}
        name={name}
        rows={rows}
        value={text}
        onChange={(e) => setText(e.target.value)}
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        className={`mt-1 block w-full rounded-md border px-3 py-2 font-mono text-xs shadow-sm focus:outline-none focus:ring-2 ${fieldBorder(error)}`}
      />
      <FieldNote error={error} hint={hint} />
    </div>
  );
}

/** A plain labelled text area (domains list), its error beneath. */
export function TextAreaField({
  name,
  label,
  hint,
  defaultValue,
  rows = 3,
  required,
}: {
  name: string;
  label: string;
  hint?: string;
  defaultValue?: string;
  rows?: number;
  required?: boolean;
}) {
  const error = useFieldError(name);
  const id = `f-${name}`;
  return (
    <div>
      <FieldLabel id={id} label={label} required={required} />
      <textarea
        id={id}
        name={name}
        rows={rows}
        defaultValue={defaultValue}
        aria-invalid={error ? true : undefined}
        className={`mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 ${fieldBorder(error)}`}
      />
      <FieldNote error={error} hint={hint} />
    </div>
  );
}
