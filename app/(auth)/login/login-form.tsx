'use client';
/**
 * Two steps on one form: e-mail + password; when the server answers `totp_required`, the code
 * field appears (the password stays in memory only, to be sent again with the code).
 */
import { signIn } from 'next-auth/react';
import { useState, type FormEvent } from 'react';

interface Labels {
  email: string;
  password: string;
  submit: string;
  totpTitle: string;
  totpHelp: string;
  code: string;
  verify: string;
  back: string;
  errors: { invalid: string; totp_invalid: string; locked: string; error: string };
}

const input =
  'mt-1 block w-full rounded-md border border-slate-300 px-3 py-2.5 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-2 focus:ring-blue-200';

export function LoginForm({ labels, callbackUrl }: { labels: Labels; callbackUrl: string }) {
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(null);
    const result = await signIn('credentials', {
      redirect: false,
      email,
      password,
      code: step === 'totp' ? code : '',
    });
    if (result?.ok && !result.error) {
      window.location.assign(callbackUrl);
      return;
    }
    setPending(false);
    const reason = result?.error ?? 'error';
    if (reason === 'totp_required') {
      setStep('totp');
      return;
    }
    if (reason === 'locked') {
      setStep('password');
      setCode('');
    }
    setError(labels.errors[reason as keyof Labels['errors']] ?? labels.errors.error);
  }

  return (
    <form onSubmit={submit} className="mt-6 space-y-4" data-testid="login-form">
      {step === 'password' ? (
        <>
          <div>
            <label htmlFor="email" className="block text-sm font-medium text-slate-700">{labels.email}</label>
            <input id="email" name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} className={input} />
          </div>
          <div>
            <label htmlFor="password" className="block text-sm font-medium text-slate-700">{labels.password}</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} className={input} />
          </div>
        </>
      ) : (
        <div>
          <p className="text-sm font-semibold text-slate-900">{labels.totpTitle}</p>
          <p className="mt-1 text-sm text-slate-600">{labels.totpHelp}</p>
          <label htmlFor="code" className="mt-4 block text-sm font-medium text-slate-700">{labels.code}</label>
          <input id="code" name="code" autoComplete="one-time-code" inputMode="numeric" autoFocus required value={code} onChange={(e) => setCode(e.target.value)} className={`${input} tracking-widest`} />
        </div>
      )}
      {error ? (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>
      ) : null}
      <button type="submit" disabled={pending} className="w-full rounded-md bg-blue-700 px-4 py-2.5 text-sm font-semibold text-white shadow-sm hover:bg-blue-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:ring-offset-2 disabled:opacity-60">
        {pending ? '…' : step === 'password' ? labels.submit : labels.verify}
      </button>
      {step === 'totp' ? (
        <button type="button" onClick={() => { setStep('password'); setCode(''); setError(null); }} className="w-full text-center text-sm text-slate-500 hover:text-slate-800">
          {labels.back}
        </button>
      ) : null}
    </form>
  );
}
