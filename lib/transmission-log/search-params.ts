/**
 * The auditor search form as URL parameters (GET: a search is a shareable, bookmarkable URL, and
 * the export link carries the same parameters). Parsing validates every field and answers, per
 * field, a message key the page shows beside it; the search runs only when nothing is wrong.
 *
 * Days are Italian calendar days: "dal 1 al 31 marzo" means from midnight of 1 March in Rome to
 * midnight after 31 March in Rome.
 */
import { defaultTimeZone, pecLocalTime } from '@/mail/pec/time';
import {
  decodeLogCursor,
  maxSearchMonths,
  type LogCursor,
  type LogSearchFilters,
} from '@/lib/queries/transmission-log';

/** The kinds offered in the form, each standing for the event types logged for it (both spellings). */
export const eventKinds = {
  accettazione: ['ACCETTAZIONE'],
  nonAccettazione: ['NON_ACCETTAZIONE', 'REFUSED'],
  busta: ['RELAYED', 'BUSTA_RELAYED', 'RECEIVED', 'POSTA_CERTIFICATA', 'SUBMISSION'],
  presaInCarico: ['PRESA_IN_CARICO', 'PRESA_IN_CARICO_SENT', 'PRESA_IN_CARICO_RECEIVED'],
  consegna: ['AVVENUTA_CONSEGNA', 'AVVENUTA_CONSEGNA_SENT', 'AVVENUTA_CONSEGNA_RECEIVED'],
  preavviso: ['PREAVVISO_ERRORE_CONSEGNA', 'PREAVVISO_SENT'],
  errore: ['ERRORE_CONSEGNA', 'MANCATA_CONSEGNA_SENT', 'MANCATA_CONSEGNA_RECEIVED', 'TIMEOUT_SENT'],
  virus: ['RILEVAZIONE_VIRUS', 'VIRUS'],
  anomalia: ['ANOMALIA'],
} as const satisfies Record<string, readonly string[]>;
export type EventKind = keyof typeof eventKinds;

/** The form's kind an event type belongs to (for its label), if any. */
export function eventKindOf(eventType: string): EventKind | undefined {
  return (Object.keys(eventKinds) as EventKind[]).find((k) => (eventKinds[k] as readonly string[]).includes(eventType));
}

export const outcomes = ['OK', 'WARNING', 'ERROR', 'REFUSED'] as const;

export const searchFields = ['from', 'to', 'sender', 'recipient', 'messageId', 'kind', 'outcome', 'domain'] as const;
export type SearchField = (typeof searchFields)[number];

/** Message keys of the validation errors (under logs.errors in lib/i18n). */
export type SearchErrorKey =
  | 'logs.errors.date'
  | 'logs.errors.order'
  | 'logs.errors.tooLong'
  | 'logs.errors.address'
  | 'logs.errors.domain'
  | 'logs.errors.messageId'
  | 'logs.errors.choice';

export interface ParsedSearch {
  /** the form values to show again (defaults filled in) */
  values: Record<SearchField, string>;
  errors: Partial<Record<SearchField, SearchErrorKey>>;
  /** present when there is no error */
  filters?: LogSearchFilters;
  after?: LogCursor;
  before?: LogCursor;
}

const timeZone = defaultTimeZone;

/** Offset of Rome from UTC at `instant`, in milliseconds (the PEC engine's "zona", +hhmm). */
function romeOffset(instant: number): number {
  const { zona } = pecLocalTime(new Date(instant), timeZone);
  const minutes = Number(zona.slice(1, 3)) * 60 + Number(zona.slice(3, 5));
  return (zona.startsWith('-') ? -minutes : minutes) * 60_000;
}

/** Midnight in Rome starting the day yyyy-mm-dd, or undefined when it is not a real date. */
export function romeDayStart(day: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const check = new Date(utc);
  if (check.getUTCMonth() !== Number(m[2]) - 1 || check.getUTCDate() !== Number(m[3])) return undefined;
  // the offset at the guessed instant, then at the corrected one (DST switches happen at night)
  const guess = utc - romeOffset(utc);
  return new Date(utc - romeOffset(guess));
}

/** The Rome calendar day (yyyy-mm-dd) of an instant. */
export function romeDay(instant: Date): string {
  const [day, month, year] = pecLocalTime(instant, timeZone).giorno.split('/');
  return `${year}-${month}-${day}`;
}

function monthsLater(day: string, months: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + months, d)).toISOString().slice(0, 10);
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

const addressPattern = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const domainPattern = /^@?[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

type Params = Record<string, string | string[] | undefined> | URLSearchParams;

function read(params: Params, name: string): string {
  const v = params instanceof URLSearchParams ? params.get(name) : params[name];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
}

/** Validates the search parameters; `now` decides the default range (the last 30 days). */
export function parseLogSearch(params: Params, now: Date = new Date()): ParsedSearch {
  const today = romeDay(now);
  const values = Object.fromEntries(searchFields.map((f) => [f, read(params, f)])) as Record<SearchField, string>;
  if (!values.to) values.to = today;
  // default: the 30 days ending with the chosen (or current) day
  if (!values.from) values.from = romeDay(new Date((romeDayStart(values.to) ?? now).getTime() - 29 * 86_400_000 + 43_200_000));
  const errors: ParsedSearch['errors'] = {};

  const from = romeDayStart(values.from);
  const toStart = romeDayStart(values.to);
  if (!from) errors.from = 'logs.errors.date';
  if (!toStart) errors.to = 'logs.errors.date';
  const to = toStart ? romeDayStart(nextDay(values.to)) : undefined;
  if (from && to) {
    if (from >= to) errors.to = 'logs.errors.order';
    // in calendar days: the day after the last one may be at most 30 months after the first
    else if (nextDay(values.to) > monthsLater(values.from, maxSearchMonths)) errors.from = 'logs.errors.tooLong';
  }
  for (const f of ['sender', 'recipient'] as const)
    if (values[f] && (!addressPattern.test(values[f]) || values[f].length > 320)) errors[f] = 'logs.errors.address';
  if (values.domain && (!domainPattern.test(values.domain) || values.domain.length > 253)) errors.domain = 'logs.errors.domain';
  if (values.messageId && (values.messageId.length > 998 || /\s/.test(values.messageId)))
    errors.messageId = 'logs.errors.messageId';
  if (values.kind && !(values.kind in eventKinds)) errors.kind = 'logs.errors.choice';
  if (values.outcome && !(outcomes as readonly string[]).includes(values.outcome)) errors.outcome = 'logs.errors.choice';

  if (Object.keys(errors).length > 0 || !from || !to) return { values, errors };
  const filters: LogSearchFilters = { from, to };
  if (values.sender) filters.sender = values.sender;
  if (values.recipient) filters.recipient = values.recipient;
  if (values.messageId) filters.messageId = values.messageId;
  if (values.kind) filters.eventTypes = eventKinds[values.kind as EventKind];
  if (values.outcome) filters.outcome = values.outcome;
  if (values.domain) filters.domain = values.domain;
  const afterToken = read(params, 'after');
  const beforeToken = read(params, 'before');
  return {
    values,
    errors,
    filters,
    after: afterToken ? decodeLogCursor(afterToken) : undefined,
    before: beforeToken && !afterToken ? decodeLogCursor(beforeToken) : undefined,
  };
}

/** The query string of a search (non-empty fields only), plus extra parameters such as a cursor. */
export function searchQuery(values: Record<SearchField, string>, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const f of searchFields) if (values[f]) q.set(f, values[f]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** What the audit trail records of a search: the filters as the auditor typed them. */
export function auditedSearch(values: Record<SearchField, string>): Record<string, string> {
  return Object.fromEntries(searchFields.filter((f) => values[f]).map((f) => [f, values[f]]));
}
