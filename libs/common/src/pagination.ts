import { invalid } from './errors.js';
import { ID_PATTERN } from './ids.js';

/** One page of a list: `{ items, nextCursor }`, the shape of every list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * Keyset cursors: the cursor is the last id of the previous page, encoded so
 * callers treat it as opaque. Pages stay stable while rows are added.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`id:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const id = decoded.startsWith('id:') ? decoded.slice(3) : '';
  if (!ID_PATTERN.test(id)) throw invalid('cursor is not one this API returned', { cursor: 'malformed cursor' });
  return id;
}

/** Builds a page from `limit + 1` rows fetched in id order. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, map: (row: R) => T): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(map),
    nextCursor: hasMore ? encodeCursor(pageRows[pageRows.length - 1].id) : null,
  };
}
