import { type StandaloneLinks, type TrackedMessage, TrackedMessages } from '@herald/tracking';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { RelayStore } from './relay-store.js';

/** Messages whose links are remembered before the cache starts over; a message's links never change. */
const CACHE_LIMIT = 10_000;

/**
 * Where a click on a relayed or API message leads: only to a link stored
 * with that message when it was accepted (`relay_messages.links`), never
 * to a URL from the request. Registered in tracking's `TrackedMessages`,
 * which sits below relay.
 */
@Injectable()
export class RelayLinks implements StandaloneLinks, OnModuleInit {
  private readonly links = new Map<string, readonly string[] | null>();

  constructor(
    private readonly store: RelayStore,
    private readonly registry: TrackedMessages,
  ) {}

  onModuleInit(): void {
    this.registry.registerStandalone(this);
  }

  async linkUrl(message: TrackedMessage, index: number): Promise<string | null> {
    let links = this.links.get(message.id);
    if (links === undefined) {
      links = await this.store.linksFor(message.id);
      if (this.links.size >= CACHE_LIMIT) this.links.clear();
      this.links.set(message.id, links);
    }
    const url = links?.[index];
    // Stored links are http(s) by construction (`trackableLinks`); checked again because it is a redirect.
    return url !== undefined && /^https?:\/\//i.test(url) ? url : null;
  }
}
