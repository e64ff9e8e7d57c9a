'use client';
/**
 * TOTP enrolment in two steps: show the secret (QR + key), then confirm with a code; on success the
 * ten recovery codes are shown once. Also regenerates recovery codes when TOTP is already on.
 */
import { useState, useTransition } from 'react';
import { useToast } from '@/app/components/toaster';
import type { FormState } from '@/lib/audit/server';
import { confirmTotpEnrolment, regenerateRecoveryCodes, startTotpEnrolment } from './actions';

interface Labels {
  start: string;
  scan: string;
  confirm: string;
  code: string;
  recoveryShown: string;
  regenerate: string;
  done: string;
}

function RecoveryCodes({ codes, title }: { codes: string[]; title: string }) {
  return (
    <div className="rounded-lg border border-amber-300 bg-amber-50 p-4" data-testid="recovery-codes">
      <p className="text-sm font-medium text-amber-900">{title}</p>
      <ul className="mt-3 grid grid-cols-1 gap-1 font-mono text-sm text-slate-900 sm:grid-cols-2">
        {codes.map((c) => (
          <li key={c}>{c}</li>
        ))}
      </ul>
    </div>
  );
}

export function TotpPanel({ enabled, labels }: { enabled: boolean; labels: Labels }) {
  const toast = useToast();
  const [pending, start] = useTransition();
  const [enrolment, setEnrolment] = useState<{ secret: string; uri: string; qrDataUrl: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);

  const run = <R,>(fn: () => Promise<FormState<R>>, then: (data: R) => void, quiet = false) =>
    start(async () => {
      const answer = await fn();
      if (!answer.ok) {
        setError(answer.fieldErrors?.code ?? answer.message);
        toast(answer.message, 'error');
        return;
      }
      setError(null);
      if (!quiet) toast(answer.message, 'success');
      then(answer.data as R);
    });

  const button = 'rounded-md px-4 py-2 text-sm font-medium shadow-sm disabled:opacity-60';

  if (codes) {
    return (
      <div className="space-y-4">
        <RecoveryCodes codes={codes} title={labels.recoveryShown} />
        <a href="/dashboard" className={`${button} inline-block bg-blue-700 text-white hover:bg-blue-800`}>{labels.done}</a>
      </div>
    );
  }
  if (enabled) {
    return (
      <button type="button" disabled={pending} data-testid="regenerate-codes" className={`${button} border border-slate-300 bg-white hover:bg-slate-50`}
        onClick={() => run(() => regenerateRecoveryCodes({}), (d) => setCodes(d.recoveryCodes))}>
        {labels.regenerate}
      </button>
    );
  }
  if (!enrolment) {
    return (
      <button type="button" disabled={pending} data-testid="totp-start" className={`${button} bg-blue-700 text-white hover:bg-blue-800`}
        onClick={() => run(() => startTotpEnrolment({}), setEnrolment, true)}>
        {labels.start}
      </button>
    );
  }
  return (
    <div className="space-y-4">
      <p className="text-sm text-slate-700">{labels.scan}</p>
      <div className="flex flex-col gap-4 sm:flex-row sm:items-center">
        {/* a data: URL QR code: nothing for next/image to optimise */}
        <img src={enrolment.qrDataUrl} alt="QR" width={160} height={160} className="rounded border border-slate-200" />
        <code className="break-all rounded bg-slate-100 px-3 py-2 font-mono text-sm" data-testid="totp-secret">{enrolment.secret}</code>
      </div>
      <form
        className="flex flex-col gap-2 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          run(() => confirmTotpEnrolment({ code }), (d) => setCodes(d.recoveryCodes));
        }}
      >
        <div className="flex-1">
          <label htmlFor="totp-code" className="block text-sm font-medium text-slate-700">{labels.confirm}</label>
          <input id="totp-code" name="code" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm tracking-widest focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200" />
          {error ? <p className="mt-1 text-xs text-red-600">{error}</p> : null}
        </div>
        <button type="submit" disabled={pending} className={`${button} bg-blue-700 text-white hover:bg-blue-800`}>{labels.code}</button>
      </form>
    </div>
  );
}
