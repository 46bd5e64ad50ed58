import { AppSecret, Db, MessageTokens, OutgoingEvents } from '@herald/common';
import { domainOf, type ListName, ListsService, SuppressionsService } from '@herald/contacts';
import { Injectable } from '@nestjs/common';
import { type MessageBranding, type TrackedMessage, TrackedMessages } from '../message-source.js';
import { COUNT_CAMPAIGN, COUNT_DOMAIN, COUNT_HOUR, INSERT_EVENT } from './unsubscribe.sql.js';

/**
 * How an opt-out from everything arrived: our page's form, a mailbox
 * provider's RFC 8058 one-click POST, or mail to the `mailto:` address of
 * List-Unsubscribe (taken by libs/inbound).
 */
export type UnsubscribeVia = 'page' | 'one-click' | 'mail';

/** What the page about one message shows: nothing here changes anything. */
export interface UnsubscribeState {
  message: TrackedMessage;
  branding: MessageBranding | null;
  /** The address is suppressed already (by this link, another one, or an operator). */
  suppressed: boolean;
  /** The lists its contact is in now; none for a test send or an erased contact. */
  lists: ListName[];
}

/** Enough of a user agent to tell a mailbox provider from a browser. */
const USER_AGENT_MAX = 512;

/**
 * Unsubscribes and the preference centre behind `/u/:token`. An opt-out
 * takes effect before the answer: the address is suppressed (so a campaign
 * still sending skips it at its next batch), and the unsubscribe event and
 * its counters are written in the same transaction. Test sends change
 * nothing.
 */
@Injectable()
export class UnsubscribeService {
  private messageTokens: MessageTokens | undefined;

  constructor(
    private readonly db: Db,
    private readonly registry: TrackedMessages,
    private readonly secret: AppSecret,
    private readonly suppressions: SuppressionsService,
    private readonly lists: ListsService,
    private readonly outgoing: OutgoingEvents,
  ) {}

  /** The message a token names, or null for a forged, altered, truncated or unknown one. */
  async message(token: string): Promise<TrackedMessage | null> {
    const id = this.tokens().verify(token);
    if (id === null) return null;
    return (await this.registry.source.find([id])).get(id) ?? null;
  }

  async state(message: TrackedMessage): Promise<UnsubscribeState> {
    const [branding, reason, lists] = await Promise.all([
      this.registry.source.branding(message),
      message.isTest ? undefined : this.suppressions.reasonFor(this.db, message.email),
      message.isTest || message.contactId === null ? [] : this.lists.listsOf(this.db, message.contactId),
    ]);
    return { message, branding, suppressed: reason !== undefined, lists };
  }

  /**
   * Stops all marketing mail to the message's address. Counted (an event
   * and +1 on the campaign's counters) only when this call suppressed it:
   * repeating it, or an address suppressed before, changes nothing.
   * Returns whether it was counted.
   */
  async unsubscribeAll(message: TrackedMessage, via: UnsubscribeVia, userAgent: string | undefined): Promise<boolean> {
    if (message.isTest) return false;
    return this.db.transaction(async (tx) => {
      const created = await this.suppressions.suppress(tx, message.email, 'unsubscribed', `unsubscribe (${via})`);
      if (!created) return false;
      await tx.execute(INSERT_EVENT, [
        message.id,
        message.campaignId,
        message.contactId,
        userAgent?.slice(0, USER_AGENT_MAX) ?? null,
        via,
      ]);
      if (message.campaignId !== null) {
        await tx.execute(COUNT_CAMPAIGN, [message.campaignId]);
        await tx.execute(COUNT_HOUR, [message.campaignId]);
        await tx.execute(COUNT_DOMAIN, [message.campaignId, domainOf(message.email)]);
      }
      await this.outgoing.publish(tx, [
        {
          type: 'unsubscribed',
          occurredAt: new Date(),
          data: {
            messageId: message.id,
            campaignId: message.campaignId,
            contactId: message.contactId,
            email: message.email,
            via,
          },
        },
      ]);
      return true;
    });
  }

  /**
   * Takes the message's contact out of those of `listIds` it is in; its
   * other lists and its status stay. Leaving lists is an event (detail
   * `lists <ids>`) for the contact's history, not an unsubscribe in the
   * campaign's counters: the address may still be mailed. Returns the
   * lists left, by name.
   */
  async leaveLists(message: TrackedMessage, listIds: string[], userAgent: string | undefined): Promise<ListName[]> {
    const contactId = message.contactId;
    if (message.isTest || contactId === null) return [];
    return this.db.transaction(async (tx) => {
      const before = await this.lists.listsOf(tx, contactId);
      const left = new Set(await this.lists.leave(tx, contactId, listIds));
      if (left.size === 0) return [];
      await tx.execute(INSERT_EVENT, [
        message.id,
        message.campaignId,
        contactId,
        userAgent?.slice(0, USER_AGENT_MAX) ?? null,
        `lists ${[...left].join(',')}`,
      ]);
      return before.filter((l) => left.has(l.id));
    });
  }

  /** Built on first use: the secret is only known once the modules have initialised. */
  private tokens(): MessageTokens {
    this.messageTokens ??= new MessageTokens(this.secret.value);
    return this.messageTokens;
  }
}
