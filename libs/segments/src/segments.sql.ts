/**
 * The segment SQL that matters for speed, in one place. `:filter` is the
 * compiled rule expression over `contacts c` (values bound as $n).
 */
export const segmentsSql = {
  /** The catalogue rules are validated against: declared custom fields. */
  fields: `SELECT name, type FROM fields`,

  /** Which of the given list ids exist (rules naming a deleted list are refused). */
  existingLists: `SELECT id::text FROM lists WHERE id = ANY($1::bigint[])`,

  /**
   * Counting and sampling run in a read-only transaction with a statement
   * timeout: a pathological rule is cancelled rather than holding the API.
   */
  readOnly: `SET TRANSACTION READ ONLY`,
  timeout: `SELECT set_config('statement_timeout', $1, true)`,

  count: (filter: string) => `SELECT count(*) AS count FROM contacts c WHERE ${filter}`,

  /** The first few matches by id: stable between calls, cheap with the primary key. */
  sample: (filter: string, limit: number) =>
    `SELECT c.id::text AS id, c.email, c.first_name, c.last_name, c.status
     FROM contacts c WHERE ${filter} ORDER BY c.id LIMIT ${Math.trunc(limit)}`,
};
