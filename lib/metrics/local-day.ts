/**
 * The calendar day "today" in the provider's time zone (Europe/Rome), as a UTC interval: the
 * dashboard counts what happened since local midnight, not since UTC midnight.
 */
import { localParts } from '@/mail/pec/time';

/** Offset of the zone from UTC at that instant, in milliseconds (Rome: +1 h or +2 h). */
const zoneOffsetMs = (at: Date, timeZone: string): number => localParts(at, timeZone).offsetMinutes * 60_000;

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
  const p = localParts(now, timeZone);
  return {
    start: localMidnight(p.year, p.month, p.day, timeZone),
    end: localMidnight(p.year, p.month, p.day + 1, timeZone),
  };
}
