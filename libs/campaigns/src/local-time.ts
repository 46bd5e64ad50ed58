import { invalid } from '@herald/common';

/** `2026-12-01T09:00` or `2026-12-01T09:00:30`: a wall-clock time without offset. */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter for `zone`, or undefined when the zone is not a known IANA name. */
function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      return undefined;
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** True when `zone` is an IANA time zone name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(zone: string): boolean {
  return zone.length <= 100 && formatterFor(zone) !== undefined;
}

/** The wall-clock time in `zone` at `instant`, as milliseconds of the same fields read as UTC. */
function wallClockAt(formatter: Intl.DateTimeFormat, instant: number): number {
  const f: Record<string, number> = {};
  for (const part of formatter.formatToParts(instant)) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

/**
 * The instant at which the clocks of `zone` show `local`. A time that does
 * not exist there (skipped when clocks go forward) is refused naming `at`;
 * a time that exists twice (clocks go back) is its first occurrence, the one
 * a marketer who wrote it before the change means.
 */
export function instantOfLocalTime(local: string, zone: string): Date {
  const formatter = formatterFor(zone);
  if (formatter === undefined || zone.length > 100) {
    throw invalid(`timeZone: ${zone} is not an IANA time zone`, {
      timeZone: 'not an IANA time zone such as Europe/Berlin',
    });
  }
  const match = LOCAL_TIME.exec(local);
  const reason = 'a local time such as 2026-12-01T09:00, without offset';
  if (!match) throw invalid(`at must be ${reason}`, { at: reason });
  const [year, month, day, hour, minute, second] = match.slice(1).map((v) => Number(v ?? 0));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  if (
    year < 1970 ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw invalid(`at: ${local} is not a valid date and time`, { at: 'not a valid date and time' });
  }
  // Offsets anywhere are within ±14 h and change at most once around a
  // given day: the offsets in force a day before and after the wall time are
  // the only candidates.
  const offsets = new Set(
    [-86_400_000, 0, 86_400_000].map((shift) => wallClockAt(formatter, wall + shift) - (wall + shift)),
  );
  const matches = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => wallClockAt(formatter, instant) === wall)
    .sort((a, b) => a - b);
  if (matches.length === 0) {
    const why = `${local} does not exist in ${zone} (the clocks skip it when daylight saving time starts)`;
    throw invalid(`at: ${why}`, { at: why });
  }
  return new Date(matches[0]);
}
