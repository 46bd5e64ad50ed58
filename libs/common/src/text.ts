/**
 * Text rules more than one lib applies, defined once.
 */

/** A LIKE / ILIKE pattern for `value` taken literally: `\`, `%` and `_` lose their meaning. */
export function likeEscape(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/**
 * A SQL expression formatting the timestamptz `expr` as the API shows times
 * and attribute dates are stored: ISO 8601 in UTC with milliseconds
 * (`2024-05-01T10:00:00.000Z`), whatever the session's time zone or
 * DateStyle. String order is time order.
 */
export function isoTimeSql(expr: string): string {
  return `to_char((${expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * Spreadsheet formula neutralisation (OWASP "CSV injection"): a cell whose
 * first character is one of these is run as a formula by spreadsheet apps,
 * so CSV files Herald writes prefix such a cell with `'`, which they show as
 * text instead.
 */
export const FORMULA_PREFIXES = ['=', '+', '-', '@', '\t', '\r'] as const;

/** The guard in TypeScript, for cells written from Node. */
export function safeCell(value: string): string {
  return (FORMULA_PREFIXES as readonly string[]).includes(value.charAt(0)) ? `'${value}` : value;
}

const SQL_PREFIXES = FORMULA_PREFIXES.map((ch) => (ch === '\t' ? "E'\\t'" : ch === '\r' ? "E'\\r'" : `'${ch}'`));

/** The guard as a SQL expression over the text expression `expr`, for cells written by `COPY`. */
export function safeCellSql(expr: string): string {
  // `expr` is parenthesised: `'' || a->>'b'` would parse as `('' || a)->>'b'`.
  return `(CASE WHEN left((${expr}), 1) IN (${SQL_PREFIXES.join(', ')}) THEN '''' || (${expr}) ELSE (${expr}) END)`;
}
