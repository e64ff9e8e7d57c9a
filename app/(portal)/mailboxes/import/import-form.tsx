'use client';
/**
 * The import form: a file (read in the browser into the text area, which can also be pasted into),
 * "Prova" runs the dry run and lists the problems by line; "Importa" applies all or nothing and
 * offers the generated passwords once as a CSV download.
 */
import { startTransition, useActionState, useEffect, useMemo, useState } from 'react';
import type { FormState } from '@/lib/audit/server';
import type { ImportResult } from '@/lib/mailboxes/csv-import';
import { useToast } from '@/app/components/toaster';
import { dryRunMailboxImport, importMailboxes, type DryRunAnswer } from '../actions';

type Labels = Record<
  'organization' | 'file' | 'csv' | 'columnsHint' | 'dryRun' | 'apply' | 'line' | 'field' | 'problem' | 'value' | 'downloadPasswords' | 'passwordsOnce',
  string
>;

export function ImportForm({ organizations, labels }: { organizations: { value: string; label: string }[]; labels: Labels }) {
  const [csv, setCsv] = useState('');
  const [organizationId, setOrganizationId] = useState(organizations[0]?.value ?? '');
  // dispatched by hand (not as form actions) so React's form reset after an action keeps the inputs
  const submit = (dispatch: (form: FormData) => void) => () => {
    const form = new FormData();
    form.set('organizationId', organizationId);
    form.set('csv', csv);
    startTransition(() => dispatch(form));
  };
  const [dry, dryAction, dryPending] = useActionState<DryRunAnswer | undefined, FormData>(dryRunMailboxImport, undefined);
  const [applied, applyAction, applyPending] = useActionState<FormState<ImportResult> | undefined, FormData>(
    importMailboxes as (s: FormState<ImportResult> | undefined, f: FormData) => Promise<FormState<ImportResult>>,
    undefined,
  );
  const toast = useToast();
  useEffect(() => {
    if (dry) toast(dry.message, dry.ok ? 'success' : 'error');
  }, [dry, toast]);
  useEffect(() => {
    if (applied) toast(applied.message, applied.ok ? 'success' : 'error');
  }, [applied, toast]);
  const passwordsUrl = useMemo(
    () => (applied?.ok && applied.data ? URL.createObjectURL(new Blob([applied.data.passwordsCsv], { type: 'text/csv' })) : undefined),
    [applied],
  );
  const button = 'inline-flex items-center justify-center rounded-md px-4 py-2 text-sm font-medium shadow-sm disabled:opacity-60';

  return (
    <form className="space-y-4" data-testid="import-form" onSubmit={(e) => e.preventDefault()}>
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor="f-organizationId" className="block text-sm font-medium text-slate-700">{labels.organization}</label>
          <select
            id="f-organizationId"
            name="organizationId"
            value={organizationId}
            onChange={(e) => setOrganizationId(e.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm">
            {organizations.map((o) => (
              <option key={o.value} value={o.value}>{o.label}</option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="f-file" className="block text-sm font-medium text-slate-700">{labels.file}</label>
          <input
            id="f-file"
            type="file"
            accept=".csv,text/csv"
            className="mt-1 block w-full text-sm text-slate-700 file:mr-3 file:rounded-md file:border-0 file:bg-slate-100 file:px-3 file:py-2 file:text-sm file:font-medium"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              if (file) setCsv(await file.text());
            }}
          />
        </div>
      </div>
      <div>
        <label htmlFor="f-csv" className="block text-sm font-medium text-slate-700">{labels.csv}</label>
        <textarea
          id="f-csv"
          name="csv"
          rows={8}
          value={csv}
          onChange={(e) => setCsv(e.target.value)}
          spellCheck={false}
          className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200"
        />
        <p className="mt-1 text-xs text-slate-500">{labels.columnsHint}</p>
      </div>
      <div className="flex flex-wrap gap-2">
        <button type="button" onClick={submit(dryAction)} disabled={dryPending || !csv} className={`${button} border border-slate-300 bg-white text-slate-800 hover:bg-slate-50`} data-testid="dry-run">
          {dryPending ? '…' : labels.dryRun}
        </button>
        <button type="button" onClick={submit(applyAction)} disabled={applyPending || !csv} className={`${button} bg-blue-700 text-white hover:bg-blue-800`} data-testid="apply-import">
          {applyPending ? '…' : labels.apply}
        </button>
      </div>
      {dry ? (
        <div data-testid="dry-run-result" className={`rounded-md border p-3 text-sm ${dry.ok ? 'border-emerald-200 bg-emerald-50 text-emerald-900' : 'border-red-200 bg-red-50 text-red-900'}`}>
          <p className="font-medium">{dry.message}</p>
          {dry.errors.length > 0 ? (
            <div className="mt-2 overflow-x-auto">
              <table className="min-w-full text-xs" data-testid="dry-run-errors">
                <thead className="text-left uppercase tracking-wide text-red-700">
                  <tr>
                    <th className="py-1 pr-3">{labels.line}</th>
                    <th className="py-1 pr-3">{labels.field}</th>
                    <th className="py-1 pr-3">{labels.problem}</th>
                    <th className="py-1">{labels.value}</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-red-100">
                  {dry.errors.map((e, i) => (
                    <tr key={i}>
                      <td className="py-1 pr-3 tabular-nums">{e.line || '—'}</td>
                      <td className="py-1 pr-3 font-mono">{e.field}</td>
                      <td className="py-1 pr-3">{e.message}</td>
                      <td className="py-1 font-mono break-all">{e.value ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </div>
      ) : null}
      {applied ? (
        <div data-testid="import-result" role="status" className={`rounded-md border p-3 text-sm ${applied.ok ? 'border-emerald-200 bg-emerald-50 text-emerald-900' : 'border-red-200 bg-red-50 text-red-900'}`}>
          <p className="font-medium">{applied.message}</p>
          {passwordsUrl ? (
            <>
              <p className="mt-1">{labels.passwordsOnce}</p>
              <a href={passwordsUrl} download="password-caselle.csv" className="mt-2 inline-block font-medium text-blue-800 underline" data-testid="download-passwords">
                {labels.downloadPasswords}
              </a>
            </>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}
