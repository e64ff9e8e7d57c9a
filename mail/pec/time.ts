/**
 * PEC time reference (spec §5.4): local legal time of the provider's zone, printed as
 * `dd/mm/yyyy`, `hh:mm:ss` and a `+hhmm` offset ("zona"). One instant per transaction is taken by
 * the caller and passed around; nothing here reads the clock.
 */

export const defaultTimeZone = 'Europe/Rome';

/** The `data` element of daticert.xml: local day, local time, offset from UTC. */
export interface PecLocalTime {
  /** dd/mm/yyyy */
  giorno: string;
  /** HH:MM:SS, 24 h */
  ora: string;
  /** [+|-]hhmm */
  zona: string;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
  /** minutes east of UTC */
  offsetMinutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Throws RangeError for an unknown zone: better at first use than silently UTC.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * The last second each zone was asked for: one message formats the same instant five to seven
 * times (identifiers, Date: headers, daticert, notice text), and formatToParts is the costly part.
 */
const lastSecond = new Map<string, { wholeSeconds: number; parts: LocalParts }>();

/** The wall-clock fields of an instant in a zone, with the zone's offset then (DST aware). */
export function localParts(instant: Date, timeZone: string): LocalParts {
  if (Number.isNaN(instant.getTime())) throw new RangeError('Invalid date');
  const wholeSeconds = Math.floor(instant.getTime() / 1000) * 1000;
  const last = lastSecond.get(timeZone);
  if (last?.wholeSeconds === wholeSeconds) return { ...last.parts };
  const parts = formatLocalParts(wholeSeconds, timeZone);
  lastSecond.set(timeZone, { wholeSeconds, parts });
  return { ...parts };
}

function formatLocalParts(wholeSeconds: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(wholeSeconds)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
    weekday: new Date(asUtc).getUTCDay(),
    offsetMinutes: Math.round((asUtc - wholeSeconds) / 60000),
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function formatOffset(offsetMinutes: number, separator = ''): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}${separator}${pad(abs % 60)}`;
}

/** giorno/ora/zona for an instant in the given zone (DST aware). */
export function pecLocalTime(instant: Date, timeZone: string = defaultTimeZone): PecLocalTime {
  const p = localParts(instant, timeZone);
  return {
    giorno: `${pad(p.day)}/${pad(p.month)}/${p.year}`,
    ora: `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`,
    zona: formatOffset(p.offsetMinutes),
  };
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 `Date:` value in local time, e.g. `Tue, 18 Dec 2018 17:16:40 +0100`. */
export function rfc5322Date(instant: Date, timeZone: string = defaultTimeZone): string {
  const p = localParts(instant, timeZone);
  return `${days[p.weekday]}, ${p.day} ${months[p.month - 1]} ${p.year} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)} ${formatOffset(p.offsetMinutes)}`;
}

/** `yyyymmddhhmmss` in local time, as OpenPEC-style identifiers carry it. */
export function compactLocalTimestamp(instant: Date, timeZone: string = defaultTimeZone): string {
  const p = localParts(instant, timeZone);
  return `${p.year}${pad(p.month)}${pad(p.day)}${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
}

/**
 * giorno/ora/zona back to ISO-8601 with offset (`2014-11-14T18:26:32+01:00`). Tolerates single-digit
 * day/month/hour, a missing seconds field, `+hh:mm` zones and surrounding whitespace.
 */
export function pecLocalTimeToIso(t: PecLocalTime): string {
  const d = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(t.giorno);
  const h = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(t.ora);
  const z = /^\s*([+-])(\d{2}):?(\d{2})\s*$/.exec(t.zona);
  if (!d || !h || !z) {
    throw new Error(`Invalid PEC date: giorno "${t.giorno}", ora "${t.ora}", zona "${t.zona}"`);
  }
  const [day, month] = [Number(d[1]), Number(d[2])];
  const [hour, minute, second] = [Number(h[1]), Number(h[2]), Number(h[3] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    throw new Error(`Invalid PEC date: giorno "${t.giorno}", ora "${t.ora}"`);
  }
  return `${d[3]}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${z[1]}${z[2]}:${z[3]}`;
}
