import { Db, decodeCursor, encodeCursor, notFound, type Page, parseId, type Sql } from '@herald/common';
import type { SuppressionReason } from '@herald/contacts';
import { type ClaimedMessage, type ClaimedRow, type MessageStatus, Outbox, toClaimed } from '@herald/delivery';
import { type EngagementCounts, MessageActivity, NO_ENGAGEMENT } from '@herald/tracking';
import { Injectable } from '@nestjs/common';
import type { IncomingMessage } from './incoming.js';
import * as q from './relay.sql.js';
import type { StoredTracking } from './tracked-mime.js';

export type RelaySource = 'smtp' | 'api';

/** The `WakeUps` topic of stored recipient rows due for delivery: worker processes listen to it. */
export const RELAY_DUE = 'relay.due';

/** A message to store: who handed it over, through which sender, to whom. */
export interface AcceptedMessage {
  source: RelaySource;
  apiKeyId: string | null;
  userId: string | null;
  senderId: string;
  envelopeFrom: string;
  recipients: string[];
  message: IncomingMessage;
  tracking: StoredTracking;
}

export interface RecipientView {
  /** The `messages` row: one per recipient. */
  id: string;
  email: string;
  status: MessageStatus;
  attempts: number;
  lastReply: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  /** Opens and clicks recorded for this recipient (all zero when the message is not tracked). */
  engagement: EngagementCounts;
}

export interface RelayMessageView {
  id: string;
  source: RelaySource;
  senderId: string | null;
  envelopeFrom: string;
  from: string | null;
  subject: string | null;
  messageId: string | null;
  size: number;
  createdAt: string;
  trackOpens: boolean;
  trackClicks: boolean;
  recipients: RecipientView[];
}

interface MessageRow {
  id: string;
  source: RelaySource;
  sender_id: string | null;
  envelope_from: string;
  from_header: string | null;
  subject: string | null;
  message_id_header: string | null;
  size: number;
  created_at: Date;
  track_opens: boolean;
  track_clicks: boolean;
  message_ids: string[];
}

export interface RelayContent {
  id: string;
  senderId: string | null;
  envelopeFrom: string;
  raw: Buffer;
  tracking: StoredTracking;
}

/** A stored message's id and its recipients' `messages` rows' ids, in recipient order. */
export interface StoredMessage {
  id: string;
  messageIds: string[];
}

/** A claimed recipient row, what it delivers, and why its recipient is suppressed, if they are. */
export interface ClaimedDelivery {
  message: ClaimedMessage;
  content: RelayContent | undefined;
  suppressed: SuppressionReason | null;
}

/**
 * Relay's tables: one `relay_messages` row per accepted message (its raw
 * content, envelope and sender) and one `messages` row per recipient,
 * written in one statement before anyone is told the message was taken.
 */
@Injectable()
export class RelayStore {
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly activity: MessageActivity,
  ) {}

  /** Stores the message and its recipients' rows; returns its id and the rows' ids. */
  async accept(input: AcceptedMessage, tx: Sql = this.db): Promise<StoredMessage> {
    return (await this.acceptMany([input], tx))[0];
  }

  /** Stores the messages and their recipients' rows in one statement; returns, in their order, their ids and rows' ids. */
  async acceptMany(inputs: readonly AcceptedMessage[], tx: Sql = this.db): Promise<StoredMessage[]> {
    const each = <T>(pick: (input: AcceptedMessage) => T) => inputs.map(pick);
    const rows = await tx.rows<{ id: string; message_ids: string[] }>(q.ACCEPT, [
      each((i) => i.source),
      each((i) => i.apiKeyId),
      each((i) => i.userId),
      each((i) => i.senderId),
      each((i) => i.envelopeFrom),
      each((i) => i.message.from),
      each((i) => i.message.subject),
      each((i) => i.message.messageId),
      Buffer.concat(each((i) => i.message.raw)),
      each((i) => i.message.raw.length),
      each((i) => i.tracking.opens),
      each((i) => (i.tracking.links === null ? null : JSON.stringify(i.tracking.links))),
      inputs.flatMap((i) => i.recipients),
      inputs.flatMap((i, n) => i.recipients.map(() => n + 1)),
    ]);
    return rows.map((row) => ({ id: row.id, messageIds: row.message_ids }));
  }

  /**
   * Claims up to `limit` due recipient rows, each with what delivering it
   * needs: its message (loaded once however many of its rows are claimed)
   * and its recipient's suppression. `content` is undefined for a row whose
   * message is gone.
   */
  async claimDue(limit: number): Promise<ClaimedDelivery[]> {
    // The relayed message's columns are NULL when it is gone (relay_message_id NULL), and are then not read.
    const claimed = await this.db.rows<
      ClaimedRow & {
        suppressed: SuppressionReason | null;
        relay_message_id: string | null;
        sender_id: string | null;
        envelope_from: string;
        track_opens: boolean;
        links: string[] | null;
        raw: Buffer | null;
      }
    >(q.CLAIM_DUE, [limit]);
    const contents = new Map<string, RelayContent>();
    for (const row of claimed) {
      if (row.relay_message_id === null || row.raw === null) continue;
      contents.set(row.relay_message_id, {
        id: row.relay_message_id,
        senderId: row.sender_id,
        envelopeFrom: row.envelope_from,
        raw: row.raw,
        tracking: { opens: row.track_opens, links: row.links },
      });
    }
    return claimed.map((r) => ({
      message: toClaimed(r),
      content: r.relay_message_id === null ? undefined : contents.get(r.relay_message_id),
      suppressed: r.suppressed,
    }));
  }

  /**
   * The tracked links of the relayed or API message that recipient row
   * `messageId` delivers; null when it tracks none or is not relay's.
   */
  async linksFor(messageId: string): Promise<string[] | null> {
    const row = await this.db.maybeOne<{ links: string[] | null }>(q.LINKS_FOR, [messageId]);
    return row?.links ?? null;
  }

  async list(limit: number, cursor?: string): Promise<Page<RelayMessageView>> {
    const rows = await this.db.rows<MessageRow>(q.LIST, [decodeCursor(cursor) ?? null, limit + 1]);
    const page = rows.slice(0, limit);
    return {
      items: await this.views(page),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].id) : null,
    };
  }

  async get(id: string): Promise<RelayMessageView> {
    const row = await this.db.maybeOne<MessageRow>(q.GET, [parseId(id)]);
    if (row === undefined) throw notFound('Message', id);
    return (await this.views([row]))[0];
  }

  /** The message an Idempotency-Key was used for in the last 24 h, with the hash of that request's body. */
  findIdempotent(
    tx: Sql,
    userId: string,
    key: string,
  ): Promise<{ body_hash: string; relay_message_id: string } | undefined> {
    return tx.maybeOne(q.FIND_IDEMPOTENCY, [userId, key]);
  }

  /** Ties an Idempotency-Key to a new message; false when the key is in use (within 24 h). */
  async claimIdempotency(tx: Sql, userId: string, key: string, bodyHash: string, relayMessageId: string) {
    return (await tx.rows(q.CLAIM_IDEMPOTENCY, [userId, key, bodyHash, relayMessageId])).length === 1;
  }

  expireIdempotency(): Promise<number> {
    return this.db.execute(q.EXPIRE_IDEMPOTENCY);
  }

  private async views(rows: MessageRow[]): Promise<RelayMessageView[]> {
    const ids = rows.flatMap((r) => r.message_ids);
    const [states, engagement] = await Promise.all([this.outbox.singleStates(ids), this.activity.counts(ids)]);
    return rows.map((r) => ({
      id: r.id,
      source: r.source,
      senderId: r.sender_id,
      envelopeFrom: r.envelope_from,
      from: r.from_header,
      subject: r.subject,
      messageId: r.message_id_header,
      size: r.size,
      createdAt: r.created_at.toISOString(),
      trackOpens: r.track_opens,
      trackClicks: r.track_clicks,
      recipients: r.message_ids.flatMap((messageId) => {
        const s = states.get(messageId);
        return s === undefined
          ? []
          : [
              {
                id: s.id,
                email: s.email,
                status: s.status,
                attempts: s.attempts,
                lastReply: s.lastReply,
                nextAttemptAt: s.nextAttemptAt?.toISOString() ?? null,
                sentAt: s.sentAt?.toISOString() ?? null,
                engagement: engagement.get(messageId) ?? NO_ENGAGEMENT,
              },
            ];
      }),
    }));
  }
}
