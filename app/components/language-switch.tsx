/** IT | EN switch: a plain form posting to the setLocale server action (works without JavaScript). */
import { setLocale } from '@/app/actions/locale';
import { locales, type Locale } from '@/lib/i18n';

export function LanguageSwitch({ current, tone = 'dark' }: { current: Locale; tone?: 'dark' | 'light' }) {
  const base = tone === 'dark' ? 'text-slate-300 hover:text-white' : 'text-slate-500 hover:text-slate-900';
  const active = tone === 'dark' ? 'bg-white/15 text-white' : 'bg-slate-200 text-slate-900';
  return (
    <form action={setLocale} className="inline-flex gap-1 text-xs font-semibold" aria-label="language">
      {locales.map((l) => (
        <button
          key={l}
          type="submit"
          name="locale"
          value={l}
          data-testid={`lang-${l}`}
          aria-pressed={l === current}
          className={`rounded px-2 py-1 uppercase ${l === current ? active : base}`}
        >
          {l}
        </button>
      ))}
    </form>
  );
}
