/** Sign-in: password step, then the TOTP step when the account has one (LoginForm). */
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getTranslator } from '@/lib/i18n/server';
import { getCurrentUser } from '@/lib/session';
import { LanguageSwitch } from '@/app/components/language-switch';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  if (await getCurrentUser()) redirect('/dashboard');
  const { locale, t } = await getTranslator();
  const params = await searchParams;
  const { provider } = getConfig();
  const labels = {
    email: t('login.email'),
    password: t('login.password'),
    submit: t('login.submit'),
    totpTitle: t('login.totpTitle'),
    totpHelp: t('login.totpHelp'),
    code: t('login.code'),
    verify: t('login.verify'),
    back: t('common.back'),
    errors: {
      invalid: t('login.invalid'),
      totp_invalid: t('login.totpInvalid'),
      locked: t('login.locked'),
      error: t('login.error'),
    },
  };
  return (
    <div className="flex min-h-screen flex-col bg-gradient-to-br from-slate-900 via-slate-800 to-blue-900">
      <div className="flex justify-end p-4">
        <LanguageSwitch current={locale} />
      </div>
      <main className="flex flex-1 items-center justify-center px-4 pb-16">
        <div className="w-full max-w-md">
          <div className="mb-6 flex items-center justify-center gap-3 text-white">
            <span className="flex h-10 w-10 items-center justify-center rounded-lg bg-blue-600 text-sm font-bold">PEC</span>
            <div>
              <p className="text-lg font-semibold leading-tight">{provider.name}</p>
              <p className="text-xs text-slate-300">{t('app.tagline')}</p>
            </div>
          </div>
          <div className="rounded-2xl bg-white p-6 shadow-xl sm:p-8">
            <h1 className="text-xl font-semibold text-slate-900">{t('login.title')}</h1>
            <p className="mt-1 text-sm text-slate-600">{t('login.subtitle')}</p>
            {params.loggedOut ? (
              <p role="status" className="mt-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                {t('login.loggedOut')}
              </p>
            ) : null}
            <LoginForm labels={labels} callbackUrl={safeCallback(params.callbackUrl)} />
          </div>
        </div>
      </main>
    </div>
  );
}

/** Only same-site paths: never redirect a fresh session to another site. */
function safeCallback(value: string | undefined): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/dashboard';
}
