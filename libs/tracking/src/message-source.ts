import { Injectable } from '@nestjs/common';

/** A sent message as tracking sees it: whose it is and which campaign it belongs to. */
export interface TrackedMessage {
  id: string;
  /** Null for messages that belong to no campaign. */
  campaignId: string | null;
  /** Null for test sends and for contacts erased since. */
  contactId: string | null;
  email: string;
  isTest: boolean;
  /** The sender that delivered it, or that was to. */
  senderId: string | null;
  /** When the receiving server accepted it; null while it has not been. */
  sentAt: Date | null;
}

/** Who a message comes from, as recipient-facing pages show it. */
export interface MessageBranding {
  senderName: string;
  postalAddress: string;
}

/**
 * What tracking needs to know about messages, which live in tables of libs
 * at its own level (delivery's `messages`) and above it (campaigns' links
 * and frozen content). Campaigns implements it and registers it in
 * `TrackedMessages` when its module starts, so tracking never reads those
 * tables (docs/ARCHITECTURE.md, "When a lower lib needs a higher one").
 */
export interface MessageSource {
  /** The messages among `ids` that exist, by id; unknown ids are absent. One query for the batch. */
  find(ids: readonly string[]): Promise<Map<string, TrackedMessage>>;
  /**
   * The destination of link `index` of the message's campaign, personalised
   * for its recipient with every value URL-encoded; null when the campaign
   * has no such link. Only URLs stored for the campaign are ever returned.
   */
  linkUrl(message: TrackedMessage, index: number): Promise<string | null>;
  /** The message as its recipient got it, without the open pixel; null when it can no longer be rendered. */
  webView(message: TrackedMessage): Promise<{ subject: string; html: string } | null>;
  /** The sender's name and postal address for pages about this message; null when unknown. */
  branding(message: TrackedMessage): Promise<MessageBranding | null>;
}

/**
 * Link destinations of messages that belong to no campaign (relayed and
 * API mail), registered by relay, which stores them with each message.
 */
export interface StandaloneLinks {
  /** The destination of link `index` stored with the message; null when it has none (or untracked links). */
  linkUrl(message: TrackedMessage, index: number): Promise<string | null>;
}

/**
 * Where campaigns registers its `MessageSource`, and relay the links of
 * messages of no campaign; empty in a process that does not load them.
 */
@Injectable()
export class TrackedMessages {
  private registered: MessageSource | undefined;
  private standalone: StandaloneLinks | undefined;

  register(source: MessageSource): void {
    this.registered = source;
  }

  registerStandalone(links: StandaloneLinks): void {
    this.standalone = links;
  }

  /** The registered source; throws when none is, which is a wiring mistake, not a request's fault. */
  get source(): MessageSource {
    if (this.registered === undefined) throw new Error('No MessageSource registered: load the campaigns module');
    return this.registered;
  }

  /**
   * Where link `index` of a message leads: its campaign's stored link, or
   * for a message of no campaign the link stored with it; null for none.
   * Only stored URLs are ever returned.
   */
  linkUrl(message: TrackedMessage, index: number): Promise<string | null> {
    if (message.campaignId !== null) return this.source.linkUrl(message, index);
    return this.standalone?.linkUrl(message, index) ?? Promise.resolve(null);
  }
}
