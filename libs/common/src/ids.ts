import { invalid } from './errors.js';

/**
 * Ids are bigint identities in Postgres and opaque strings in the API: one
 * to eighteen digits, no leading zero, so every id the API accepts fits a
 * bigint. The one definition; DTOs validate with it, services with `parseId`.
 */
export const ID_PATTERN = /^[1-9][0-9]{0,17}$/;

/** A malformed id is the caller's mistake (400 naming `field`), never a database error. */
export function parseId(value: string, field = 'id'): string {
  if (!ID_PATTERN.test(value)) throw invalid(`${field} must be an id such as "42"`, { [field]: 'not a valid id' });
  return value;
}
