/** 404: also what anyone gets for another tenant's object (never a 403 that would confirm it exists). */
import Link from 'next/link';
import { getTranslator } from '@/lib/i18n/server';

export default async function NotFound() {
  const { t } = await getTranslator();
  return (
    <main className="mx-auto flex min-h-[60vh] max-w-lg flex-col items-center justify-center gap-3 px-6 text-center">
      <p className="text-5xl font-bold text-slate-300">404</p>
      <h1 className="text-xl font-semibold text-slate-900" data-testid="not-found">{t('notFound.title')}</h1>
      <p className="text-sm text-slate-600">{t('notFound.text')}</p>
      <Link href="/dashboard" className="mt-2 text-sm font-medium text-blue-800 hover:underline">{t('notFound.home')}</Link>
    </main>
  );
}
