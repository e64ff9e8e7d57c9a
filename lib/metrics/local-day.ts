/**
 * The calendar day "today" in the provider's time zone (Europe/Rome), as a UTC interval: the
 * dashboard counts what happened since local midnight, not since UTC midnight.
 */

function zonedParts(at: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), min: get('minute'), s: get('second') };
}

/** Offset of the zone from UTC at that instant, in milliseconds (Rome: +1 h or +2 h). */
function zoneOffsetMs(at: Date, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The UTC instant of local midnight starting the day y-m-d (days past the month end roll over). */
function localMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const naive = Date.UTC(y, m - 1, d);
  // two passes: the offset at the guess may differ from the offset at midnight on DST days
  let guess = naive - zoneOffsetMs(new Date(naive), timeZone);
  guess = naive - zoneOffsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

export interface DayInterval {
  /** local midnight starting the day (inclusive) */
  start: Date;
  /** the next local midnight (exclusive) */
  end: Date;
}

export function localDay(now: Date, timeZone: string): DayInterval {
  const p = zonedParts(now, timeZone);
  return { start: localMidnight(p.y, p.m, p.d, timeZone), end: localMidnight(p.y, p.m, p.d + 1, timeZone) };
}
