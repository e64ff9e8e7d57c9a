/**
 * The signed-in shell: sidebar (desktop) / top bar with a menu (phone), navigation filtered by role,
 * language switch, sign-out, toasts. Every page below still calls requireActor() itself: a layout
 * is not re-run on client navigation, so it is never the protection.
 */
import type { ReactNode } from 'react';
import { redirect } from 'next/navigation';
import { getConfig } from '@/lib/config';
import { getTranslator } from '@/lib/i18n/server';
import { getCurrentUser } from '@/lib/session';
import { Toaster } from '@/app/components/toaster';
import { LanguageSwitch } from '@/app/components/language-switch';
import { LogoutButton } from '@/app/components/logout-button';
import { NavLinks } from './nav-links';
import { navigationFor } from './navigation';

export const dynamic = 'force-dynamic';

function Brand({ name }: { name: string }) {
  return (
    <div className="flex items-center gap-2">
      <span className="flex h-8 w-8 items-center justify-center rounded-md bg-blue-600 text-xs font-bold tracking-wide text-white">PEC</span>
      <span className="truncate text-sm font-semibold text-white">{name}</span>
    </div>
  );
}

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const current = await getCurrentUser();
  if (!current) redirect('/login');
  const { locale, t } = await getTranslator();
  const providerName = getConfig().provider.name;
  const items = (current.setupRequired.length > 0 ? navigationFor(current.actor).filter((i) => i.href === '/profile') : navigationFor(current.actor)).map(
    (i) => ({ href: i.href, label: t(i.label), icon: i.icon }),
  );
  const who = (
    <div className="min-w-0">
      <p className="truncate text-sm font-medium text-white" data-testid="current-user">{current.displayName}</p>
      <p className="truncate text-xs text-slate-400">
        {t(`roles.${current.actor.role}`)} · {current.organizationName}
      </p>
    </div>
  );
  return (
    <Toaster>
      <div className="min-h-screen lg:flex">
        <aside className="hidden w-64 shrink-0 flex-col bg-slate-900 px-4 py-5 lg:flex">
          <Brand name={providerName} />
          <nav className="mt-8 flex-1" aria-label={t('nav.menu')}>
            <NavLinks items={items} />
          </nav>
          <div className="space-y-3 border-t border-white/10 pt-4">
            {who}
            <LanguageSwitch current={locale} />
            <LogoutButton label={t('nav.logout')} />
          </div>
        </aside>
        <header className="sticky top-0 z-40 bg-slate-900 lg:hidden">
          <details className="group">
            <summary className="flex cursor-pointer list-none items-center justify-between px-4 py-3">
              <Brand name={providerName} />
              <span className="rounded-md border border-white/20 px-2 py-1 text-xs text-slate-200">{t('nav.menu')}</span>
            </summary>
            <div className="space-y-3 border-t border-white/10 px-4 pb-4 pt-3">
              <NavLinks items={items} />
              {who}
              <div className="flex items-center justify-between">
                <LanguageSwitch current={locale} />
                <div className="w-28"><LogoutButton label={t('nav.logout')} /></div>
              </div>
            </div>
          </details>
        </header>
        <main className="min-w-0 flex-1 px-4 py-6 sm:px-8 lg:py-10">
          <div className="mx-auto max-w-6xl">{children}</div>
        </main>
      </div>
    </Toaster>
  );
}
