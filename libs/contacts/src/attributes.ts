/** The types a custom attribute can be declared with (`fields.type`). */
export const FIELD_TYPES = ['text', 'number', 'boolean', 'date'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export const FIELD_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const MAX_TEXT_LENGTH = 2000;

export type AttributeValue = string | number | boolean | null;
export type Coerced = { ok: true; value: AttributeValue } | { ok: false; reason: string };

const TRUE = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE = new Set(['false', 'no', 'n', '0', 'off']);
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
// ISO 8601 date or date-time; a space instead of `T` as Mailchimp and Excel write it.
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Converts a value from an API body or a CSV cell to its stored form. Dates
 * are stored as UTC ISO strings (`2024-05-01T00:00:00.000Z`) so that string
 * order is time order. An empty string or null clears the attribute.
 */
export function coerceAttribute(type: FieldType, raw: unknown): Coerced {
  if (raw === null || raw === undefined || raw === '') return { ok: true, value: null };
  switch (type) {
    case 'text': {
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
        return { ok: false, reason: 'must be text' };
      }
      const text = String(raw);
      if (text.length > MAX_TEXT_LENGTH) return { ok: false, reason: `is longer than ${MAX_TEXT_LENGTH} characters` };
      // jsonb refuses U+0000 even escaped, which would fail the whole statement.
      if (text.includes('\u0000')) return { ok: false, reason: 'must not contain NUL characters' };
      return { ok: true, value: text };
    }
    case 'number': {
      if (typeof raw === 'number')
        return Number.isFinite(raw) ? { ok: true, value: raw } : { ok: false, reason: 'must be a finite number' };
      if (typeof raw === 'string' && NUMBER.test(raw.trim())) {
        const n = Number(raw.trim());
        if (Number.isFinite(n)) return { ok: true, value: n };
      }
      return { ok: false, reason: 'must be a number' };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const word = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : '';
      if (TRUE.has(word)) return { ok: true, value: true };
      if (FALSE.has(word)) return { ok: true, value: false };
      return { ok: false, reason: 'must be true or false' };
    }
    case 'date': {
      if (typeof raw !== 'string') return { ok: false, reason: 'must be a date such as 2024-05-01' };
      const m = DATE.exec(raw.trim());
      if (!m) return { ok: false, reason: 'must be a date such as 2024-05-01' };
      const [, y, mo, d, h, mi = '00', s = '00', zone] = m;
      // A bare date, the common case in imports, needs no Date round trip.
      if (h === undefined) {
        return Number(d) >= 1 && Number(d) <= daysInMonth(Number(y), Number(mo))
          ? { ok: true, value: `${y}-${mo}-${d}T00:00:00.000Z` }
          : { ok: false, reason: 'is not a valid date' };
      }
      const parsed = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${zone ? normalizeZone(zone) : 'Z'}`);
      // Rejects 2024-02-30 and friends, which Date would roll over.
      if (Number.isNaN(parsed.getTime()) || (!zone && parsed.getUTCDate() !== Number(d))) {
        return { ok: false, reason: 'is not a valid date' };
      }
      return { ok: true, value: parsed.toISOString() };
    }
  }
}

/** Days in a month of the proleptic Gregorian calendar, as Date counts them; 0 for a month out of range. */
function daysInMonth(year: number, month: number): number {
  if (month < 1 || month > 12) return 0;
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function normalizeZone(zone: string): string {
  return zone === 'Z' || zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
}
