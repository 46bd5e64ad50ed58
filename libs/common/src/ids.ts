import { invalid } from './errors.js';

/**
 * Ids are bigint identities in Postgres and opaque strings in the API. A
 * malformed id is the caller's mistake (400), never a database error.
 */
export function parseId(value: string, field = 'id'): string {
  if (!/^[1-9][0-9]{0,17}$/.test(value))
    throw invalid(`${field} must be an id such as "42"`, { [field]: 'not a valid id' });
  return value;
}
