/** Pages open to anyone (no login): the public activation request. Toasts for form answers. */
import Link from 'next/link';
import type { ReactNode } from 'react';
import { getConfig } from '@/lib/config';
import { getTranslator } from '@/lib/i18n/server';
import { LanguageSwitch } from '@/app/components/language-switch';
import { Toaster } from '@/app/components/toaster';

export const dynamic = 'force-dynamic';

export default async function PublicLayout({ children }: { children: ReactNode }) {
  const { locale, t } = await getTranslator();
  return (
    <Toaster>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-4xl items-center justify-between gap-3 px-4 py-3">
          <div className="flex items-center gap-2">
            <span className="flex h-8 w-8 items-center justify-center rounded-md bg-blue-600 text-xs font-bold text-white">PEC</span>
            <span className="text-sm font-semibold text-slate-900">{getConfig().provider.name}</span>
          </div>
          <div className="flex items-center gap-4 text-sm">
            <Link href="/login" className="text-blue-800 hover:underline">{t('requests.public.login')}</Link>
            <LanguageSwitch current={locale} tone="light" />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-4xl px-4 py-8">{children}</main>
    </Toaster>
  );
}
