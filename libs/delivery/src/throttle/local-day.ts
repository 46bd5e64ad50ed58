const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(epochMs: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(epochMs)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The calendar date (`YYYY-MM-DD`) at `epochMs` in `timeZone`. */
export function localDate(epochMs: number, timeZone: string): string {
  const w = wallTime(epochMs, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** How far the zone's wall clock is ahead of UTC at `epochMs` (whole seconds). */
function offsetMs(epochMs: number, timeZone: string): number {
  const w = wallTime(epochMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The first instant of the local date `year-month-day` in `timeZone`. Where a
 * DST change skips midnight the day starts later (01:00), and the search
 * below finds that instant instead of a midnight that never was.
 */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const wallMidnight = Date.UTC(year, month - 1, day);
  const target = localDate(wallMidnight, 'UTC');
  let t = wallMidnight - offsetMs(wallMidnight, timeZone);
  t = wallMidnight - offsetMs(t, timeZone);
  // Step to the first instant whose local date is the target, in quarter hours then back to the exact minute.
  const QUARTER = 15 * 60_000;
  for (let i = 0; i < 16 && localDate(t, timeZone) < target; i += 1) t += QUARTER;
  for (let i = 0; i < 16 && localDate(t - QUARTER, timeZone) === target; i += 1) t -= QUARTER;
  for (let i = 0; i < 15 && localDate(t - 60_000, timeZone) === target; i += 1) t -= 60_000;
  return t;
}

/** Local midnight that began the day containing `epochMs` in `timeZone`. */
export function startOfLocalToday(epochMs: number, timeZone: string): Date {
  const w = wallTime(epochMs, timeZone);
  return new Date(startOfLocalDay(w.year, w.month, w.day, timeZone));
}

/** The next local midnight after `epochMs` in `timeZone`: when a new daily quota opens. */
export function nextLocalMidnight(epochMs: number, timeZone: string): Date {
  const w = wallTime(epochMs, timeZone);
  // Date.UTC rolls day 32 into the next month, and so on.
  const next = new Date(Date.UTC(w.year, w.month - 1, w.day + 1));
  return new Date(startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone));
}
