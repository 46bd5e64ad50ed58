import { createHash } from 'node:crypto';

/**
 * The key a suppression is stored under: hex sha256 of the lower-cased,
 * normalised address. It outlives the address itself (erased contacts keep
 * only the hash), so every writer — API, imports, bounce handling — must
 * compute it the same way.
 *
 * Prefer `emailHashSql` inside statements: Postgres `lower()` is then the one
 * definition. `emailHash` gives the same value for any address Postgres and
 * Node lower-case alike (ASCII, and Unicode under a UTF-8 database locale).
 */
export function emailHash(normalisedEmail: string): string {
  return createHash('sha256').update(normalisedEmail.toLowerCase(), 'utf8').digest('hex');
}

/** The same hash as a SQL expression over `expr` (a column or a `$n` parameter). */
export function emailHashSql(expr: string): string {
  return `encode(sha256(convert_to(lower(${expr}), 'UTF8')), 'hex')`;
}
