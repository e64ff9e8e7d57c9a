/**
 * A small typed dictionary: Italian by default, English on request (cookie `lang`).
 * translate(locale, 'users.created', { password }) → the string with {placeholders} filled.
 * Server code reads the locale with getLocale() from lib/i18n/server.ts.
 */
import { en } from './messages.en';
import { it } from './messages.it';
import { domainsMailboxesMessages } from './messages.domains-mailboxes';
import { trustMessages } from './messages.trust';
import { requestsEn, requestsIt } from '@/lib/requests/messages';

export const locales = ['it', 'en'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'it';
export const localeCookie = 'lang';

// feature dictionaries live beside their feature and are merged here under their own key
type Messages = typeof it & { requests: typeof requestsIt } & typeof domainsMailboxesMessages.it & typeof trustMessages.it;
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
/** Every dotted key of the dictionary, e.g. 'nav.dashboard'. */
export type MessageKey = Leaves<Messages>;

const dictionaries: Record<Locale, Messages> = {
  it: { ...it, requests: requestsIt, ...domainsMailboxesMessages.it, ...trustMessages.it },
  en: { ...(en as typeof it), requests: requestsEn, ...domainsMailboxesMessages.en, ...trustMessages.en },
};

export function isLocale(value: string | undefined): value is Locale {
  return value === 'it' || value === 'en';
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: unknown = messages;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Translates a key (typed, or a string key coming from an action result); unknown keys show as-is. */
export function translate(
  locale: Locale,
  key: MessageKey | (string & {}),
  params?: Record<string, string | number>,
): string {
  const text = lookup(dictionaries[locale], key) ?? lookup(dictionaries[defaultLocale], key) ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m)) : text;
}

export type Translator = (key: MessageKey | (string & {}), params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translator {
  return (key, params) => translate(locale, key, params);
}

/** Field error codes from action results (`too_small:12`) → readable text. */
export function translateFieldError(locale: Locale, code: string): string {
  const [name, min] = code.split(':');
  if (name.includes('.')) return translate(locale, name);
  return translate(locale, `errors.field.${name}`, min ? { min } : undefined);
}

/** Dates and times shown in the portal: Italian civil time (Europe/Rome). */
export function formatDateTime(locale: Locale, date: Date): string {
  return new Intl.DateTimeFormat(locale === 'it' ? 'it-IT' : 'en-GB', {
    dateStyle: 'short',
    timeStyle: 'medium',
    timeZone: 'Europe/Rome',
  }).format(date);
}

export function formatDate(locale: Locale, date: Date): string {
  return new Intl.DateTimeFormat(locale === 'it' ? 'it-IT' : 'en-GB', { dateStyle: 'medium', timeZone: 'Europe/Rome' }).format(date);
}
