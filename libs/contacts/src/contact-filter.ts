/**
 * A selection of contacts as SQL, the way segments (and later campaign
 * audiences) hand one to this lib: a boolean expression over the `contacts`
 * table aliased as `c`, with its bound values. Such an expression reads the
 * columns `c.id`, `c.email`, `c.status`, `c.attributes`, `c.created_at` and
 * `c.updated_at`, and other tables of this lib only through the functions
 * below; this lib runs it (`ContactsService.count`, `sample`, CSV export).
 */
export interface ContactFilter {
  /** A boolean SQL expression over `contacts c`. */
  sql: string;
  /** Bound values; the expression numbers them from its `firstParam` on ($n). */
  params: unknown[];
}

import { emailHashSql } from './suppressions/email-hash.js';

/**
 * "The contact is on at least one of these lists", where `listIds` is a
 * placeholder for a `bigint[]` (`$3::bigint[]`). An EXISTS over the
 * membership primary key and contact index, never NULL, so `NOT` of it
 * becomes an anti-join.
 */
export function inAnyListSql(listIds: string): string {
  return `EXISTS (SELECT 1 FROM list_members m WHERE m.contact_id = c.id AND m.list_id = ANY(${listIds}))`;
}

/**
 * The contacts of `filter` that may receive marketing mail now: subscribed,
 * and with no suppression of their address (invariant 2: suppression wins,
 * also for an address suppressed while its contact still says subscribed).
 * A filter again, so that it can be counted before a campaign starts.
 */
export function sendableFilter(filter: ContactFilter): ContactFilter {
  return {
    sql: `(${filter.sql}) AND c.status = 'subscribed'
        AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.email_hash = ${emailHashSql('c.email')})`,
    params: filter.params,
  };
}

/**
 * `SELECT id, email` of the sendable contacts of `filter`, for the audience
 * snapshot's `INSERT ... SELECT`; the filter's parameters keep their numbers.
 */
export function sendableContactsSql(filter: ContactFilter): { sql: string; params: unknown[] } {
  const sendable = sendableFilter(filter);
  return { sql: `SELECT c.id, c.email FROM contacts c WHERE ${sendable.sql}`, params: sendable.params };
}
