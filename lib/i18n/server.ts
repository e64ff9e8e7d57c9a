/** The request's locale (server components and actions): the `lang` cookie, else Italian. */
import { cookies } from 'next/headers';
import { defaultLocale, isLocale, localeCookie, translator, type Locale, type Translator } from './index';

export async function getLocale(): Promise<Locale> {
  const value = (await cookies()).get(localeCookie)?.value;
  return isLocale(value) ? value : defaultLocale;
}

export async function getTranslator(): Promise<{ locale: Locale; t: Translator }> {
  const locale = await getLocale();
  return { locale, t: translator(locale) };
}
