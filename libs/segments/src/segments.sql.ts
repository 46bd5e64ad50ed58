/**
 * The segment SQL besides plain CRUD. Counting and sampling the contacts a
 * rule selects is the contacts lib's SQL (`ContactsService.count`, `sample`);
 * this lib only bounds how long it may take.
 */
export const segmentsSql = {
  /**
   * Counting and sampling run in a read-only transaction with a statement
   * timeout: a pathological rule is cancelled rather than holding the API.
   */
  readOnly: `SET TRANSACTION READ ONLY`,
  timeout: `SELECT set_config('statement_timeout', $1, true)`,
};
