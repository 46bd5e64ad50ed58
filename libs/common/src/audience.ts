/**
 * How libs that sit beside `segments` (contacts export, later campaigns)
 * filter contacts by a saved segment without importing it: the segments lib
 * provides this under SEGMENT_RESOLVER.
 */
export interface ContactFilter {
  /** A boolean SQL expression over the `contacts` table aliased as `c`. */
  sql: string;
  /** Bound values; the expression numbers them from `firstParam` on ($n). */
  params: unknown[];
}

export interface SegmentResolver {
  /** Throws a not-found DomainError for an unknown segment. */
  contactFilter(segmentId: string, firstParam: number): Promise<ContactFilter>;
}

export const SEGMENT_RESOLVER = Symbol('SEGMENT_RESOLVER');
