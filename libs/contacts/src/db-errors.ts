/** Postgres error codes the contact services turn into caller errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

/**
 * True when `error` is a Postgres error with `code` (and, when given, on
 * `constraint`). TypeORM copies the driver's fields onto QueryFailedError.
 */
export function isPgError(error: unknown, code: string, constraint?: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; constraint?: unknown };
  return e.code === code && (constraint === undefined || e.constraint === constraint);
}
