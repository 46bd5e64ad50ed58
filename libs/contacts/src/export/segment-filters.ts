import { Injectable } from '@nestjs/common';
import type { ContactFilter } from '../contact-filter.js';

/**
 * What the CSV export needs from segments, which sit above this lib: a
 * saved segment as a filter over contacts. This lib owns the interface and
 * the segments lib registers its implementation when it starts, so contacts
 * never imports segments (docs/ARCHITECTURE.md, "Libs and their order").
 */
export interface SegmentFilterSource {
  /** Throws a not-found DomainError for an unknown segment, naming `segmentId`. */
  contactFilter(segmentId: string, firstParam: number): Promise<ContactFilter>;
}

/** Where the segments lib registers itself; empty in a process that does not load segments. */
@Injectable()
export class SegmentFilters {
  private source: SegmentFilterSource | undefined;

  register(source: SegmentFilterSource): void {
    this.source = source;
  }

  /** The registered source, or undefined when segments are not loaded. */
  get current(): SegmentFilterSource | undefined {
    return this.source;
  }
}
