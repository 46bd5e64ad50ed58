import { Db, type OutgoingEventType, OutgoingEvents, type Sql, type Statement } from '@herald/common';
import { Injectable } from '@nestjs/common';
import * as q from './outbox.sql.js';

export {
  addSinglesSql,
  claimDueSinglesSql,
  MESSAGE_STATUSES,
  newSingleIdSql,
  singleContentIdSql,
} from './outbox.sql.js';
export type MessageStatus = (typeof q.MESSAGE_STATUSES)[number];

export interface ClaimedMessage {
  id: string;
  contactId: string | null;
  email: string;
  attempts: number;
  createdAt: Date;
  isTest: boolean;
}

/** A message the receiving server took, for `Outbox.markSentMany`. */
export interface Delivered {
  id: string;
  senderId: string;
  reply: string;
}

/** A claimed row as the claim statements return it. */
export interface ClaimedRow {
  id: string;
  contact_id: string | null;
  email: string;
  attempts: number;
  created_at: Date;
  is_test: boolean;
}

/** A message as looked up by id (`Outbox.find`). */
export interface StoredMessage {
  id: string;
  campaignId: string | null;
  contactId: string | null;
  email: string;
  isTest: boolean;
  senderId: string | null;
  sentAt: Date | null;
}

/** Where a single (campaign-less) message stands, as the messages API shows it. */
export interface SingleMessageState {
  id: string;
  email: string;
  status: MessageStatus;
  attempts: number;
  lastReply: string | null;
  nextAttemptAt: Date | null;
  sentAt: Date | null;
  updatedAt: Date;
}

export const toClaimed = (r: ClaimedRow): ClaimedMessage => ({
  id: r.id,
  contactId: r.contact_id,
  email: r.email,
  attempts: r.attempts,
  createdAt: r.created_at,
  isTest: r.is_test,
});

/** A message as a report or a recipient's history shows it. */
export interface MessageRecord {
  id: string;
  campaignId: string;
  email: string;
  status: MessageStatus;
  /** When the receiving server accepted it (also set for uncertain ones). */
  sentAt: Date | null;
  /** The last SMTP reply or connection error. */
  lastReply: string | null;
  createdAt: Date;
}

interface RecordRow {
  id: string;
  campaign_id: string;
  email: string;
  status: MessageStatus;
  sent_at: Date | null;
  last_reply: string | null;
  created_at: Date;
}

const toRecord = (r: RecordRow): MessageRecord => ({
  id: r.id,
  campaignId: r.campaign_id,
  email: r.email,
  status: r.status,
  sentAt: r.sent_at,
  lastReply: r.last_reply,
  createdAt: r.created_at,
});

const byId = (a: { id: string }, b: { id: string }) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1);

/**
 * The `messages` table: one row per recipient, written before any SMTP
 * attempt; every status change is a conditional UPDATE that says whether it
 * applied (false: the row was no longer this worker's to change).
 */
@Injectable()
export class Outbox {
  constructor(
    private readonly db: Db,
    private readonly events: OutgoingEvents = new OutgoingEvents(),
  ) {}

  /** Inserts one queued row per recipient of `recipients` (columns `id`, `email`); returns the rows inserted. */
  async snapshot(tx: Sql, campaignId: string, recipients: { sql: string; params: unknown[] }): Promise<number> {
    const sql = q.snapshotSql(recipients.sql, recipients.params.length + 1);
    return (await tx.one<{ n: number }>(sql, [...recipients.params, campaignId])).n;
  }

  /** Queued test sends (no contact); their ids in the order of `emails`. */
  async addTests(tx: Sql, campaignId: string, emails: string[]): Promise<string[]> {
    const rows = await tx.rows<{ id: string }>(q.ADD_TESTS, [campaignId, emails]);
    return rows.map((r) => r.id);
  }

  /** Up to `limit` due rows, now `sending` and this caller's, in id order. */
  async claim(campaignId: string, limit: number): Promise<ClaimedMessage[]> {
    const rows = await this.db.rows<ClaimedRow>(q.CLAIM, [campaignId, limit]);
    return rows.sort(byId).map(toClaimed);
  }

  async markSent(id: string, senderId: string, reply: string): Promise<boolean> {
    return this.markPublished('sent', q.MARK_SENT, [id, senderId, reply]);
  }

  async markDeferred(id: string, senderId: string | null, reply: string, nextAttemptAt: Date): Promise<boolean> {
    return (await this.db.execute(q.MARK_DEFERRED, [id, senderId, reply, nextAttemptAt])) === 1;
  }

  async markFailed(id: string, reply: string): Promise<boolean> {
    return (await this.db.execute(q.MARK_FAILED, [id, reply])) === 1;
  }

  async markBounced(id: string, senderId: string, reply: string): Promise<boolean> {
    return this.markPublished('bounced', q.MARK_BOUNCED, [id, senderId, reply]);
  }

  /**
   * A message the receiving server took, reported bounced afterwards (a
   * delivery status notification): `sent` or `uncertain` becomes `bounced`
   * with its counters, and the `bounced` event is published, all in the
   * caller's transaction. Returns the row when this call changed it;
   * undefined when it was in another status (already bounced, a test send
   * or never sent), which changes nothing.
   */
  async markBouncedAfterSent(tx: Sql, id: string, reply: string): Promise<StoredMessage | undefined> {
    const row = await tx.maybeOne<q.OutcomeRow & { sender_id: string | null; sent_at: Date | null }>(
      q.MARK_BOUNCED_AFTER_SENT,
      [id, reply],
    );
    if (row === undefined) return undefined;
    await this.publishOutcomes(tx, 'bounced', [row], () => ({ senderId: row.sender_id, reply }));
    return {
      id: row.id,
      campaignId: row.campaign_id,
      contactId: row.contact_id,
      email: row.email,
      isTest: row.is_test,
      senderId: row.sender_id,
      sentAt: row.sent_at,
    };
  }

  /**
   * Many `sent` outcomes in one statement, each applied as `markSent` would
   * (and published with it); returns the ids it applied to. A worker that
   * records outcomes as they come calls it with those that came while its
   * last write was on its way.
   */
  async markSentMany(outcomes: readonly Delivered[]): Promise<Set<string>> {
    const params = [outcomes.map((o) => o.id), outcomes.map((o) => o.senderId), outcomes.map((o) => o.reply)];
    if (!this.events.wanted('sent')) {
      return new Set((await this.db.rows<{ id: string }>(q.MARK_SENT_MANY, params)).map((r) => r.id));
    }
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    return this.db.transaction(async (tx) => {
      const rows = await tx.rows<q.OutcomeRow>(q.MARK_SENT_MANY, params);
      await this.publishOutcomes(tx, 'sent', rows, (id) => byId.get(id)!);
      return new Set(rows.map((r) => r.id));
    });
  }

  /**
   * An outcome the outside may be told of (`OutgoingEvents`): while some
   * taker wants its type, the status change and the event are written in
   * one transaction, so neither exists without the other; otherwise it is
   * the single statement. Test sends publish nothing.
   */
  private async markPublished(
    type: OutgoingEventType,
    sql: Statement,
    params: [id: string, senderId: string, reply: string],
  ): Promise<boolean> {
    if (!this.events.wanted(type)) return (await this.db.execute(sql, params)) === 1;
    return this.db.transaction(async (tx) => {
      const row = await tx.maybeOne<q.OutcomeRow>(sql, params);
      if (row === undefined) return false;
      await this.publishOutcomes(tx, type, [row], () => ({ senderId: params[1], reply: params[2] }));
      return true;
    });
  }

  private async publishOutcomes(
    tx: Sql,
    type: OutgoingEventType,
    rows: q.OutcomeRow[],
    outcomeOf: (id: string) => { senderId: string | null; reply: string },
  ): Promise<void> {
    const events = rows
      .filter((row) => !row.is_test)
      .map((row) => ({
        type,
        occurredAt: row.updated_at,
        data: {
          messageId: row.id,
          campaignId: row.campaign_id,
          contactId: row.contact_id,
          email: row.email,
          ...outcomeOf(row.id),
        },
      }));
    if (events.length > 0) await this.events.publish(tx, events);
  }

  async markUncertain(id: string, senderId: string, reply: string): Promise<boolean> {
    return (await this.db.execute(q.MARK_UNCERTAIN, [id, senderId, reply])) === 1;
  }

  /** Suppressed at send time; returns how many of `ids` were still `sending`. */
  markSkipped(ids: string[], reason: string): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.changed(q.MARK_SKIPPED, [ids, reason]);
  }

  /** Ends a cancelled campaign's queue: its unsent rows become `skipped` with `reason`. */
  skipUnsent(campaignId: string, reason: string): Promise<number> {
    return this.changed(q.SKIP_UNSENT, [campaignId, reason]);
  }

  /** Claimed but not attempted (pause, cancel, unused): back to queued. */
  release(ids: string[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0);
    return this.changed(q.RELEASE, [ids]);
  }

  /** Rows left `sending` longer than `olderThanMs` (a dead worker's) go back to queued, counted in `reclaimed`. */
  reclaimStale(campaignId: string, olderThanMs: number): Promise<number> {
    return this.changed(q.RECLAIM_STALE, [campaignId, olderThanMs]);
  }

  /** Rows per status (test sends excluded), and how many rows were reclaimed at least once; read from counters. */
  async counts(campaignId: string): Promise<Record<MessageStatus, number> & { reclaimed: number }> {
    return this.db.one<Record<MessageStatus, number> & { reclaimed: number }>(q.COUNTS, [campaignId]);
  }

  /** Delivered, bounced and failed messages of a campaign by recipient domain, the `limit` domains with most deliveries. */
  countsByDomain(
    campaignId: string,
    limit: number,
  ): Promise<{ domain: string; delivered: number; bounced: number; failed: number }[]> {
    return this.db.rows(q.COUNTS_BY_DOMAIN, [campaignId, limit]);
  }

  /** The earliest queued or deferred row's due time; null when none is left. */
  async nextAttemptAt(campaignId: string): Promise<Date | null> {
    const row = await this.db.one<{ at: Date | null }>(q.NEXT_ATTEMPT_AT, [campaignId]);
    return row.at;
  }

  /** Messages a sender handed over (sent or uncertain) since `since`. */
  async sentSince(senderId: string, since: Date): Promise<number> {
    return (await this.db.one<{ n: number }>(q.SENT_SINCE, [senderId, since])).n;
  }

  /** Runs a counted change; how many rows it changed. */
  private async changed(sql: string, params: unknown[]): Promise<number> {
    return (await this.db.one<{ n: number }>(sql, params)).n;
  }

  /** Up to `limit` of a campaign's messages after id `afterId` ("0" for the first), in id order; test sends excluded. */
  async campaignPage(campaignId: string, afterId: string, limit: number): Promise<MessageRecord[]> {
    return (await this.db.rows<RecordRow>(q.CAMPAIGN_PAGE, [campaignId, afterId, limit])).map(toRecord);
  }

  /** Up to `limit` campaign messages to a contact before id `beforeId` (from the newest when null), newest first. */
  async contactPage(contactId: string, beforeId: string | null, limit: number): Promise<MessageRecord[]> {
    return (await this.db.rows<RecordRow>(q.CONTACT_PAGE, [contactId, beforeId, limit])).map(toRecord);
  }

  /** The messages among `ids` that exist, by id, in one query. */
  async find(ids: readonly string[]): Promise<Map<string, StoredMessage>> {
    const found = new Map<string, StoredMessage>();
    if (ids.length === 0) return found;
    const rows = await this.db.rows<{
      id: string;
      campaign_id: string | null;
      contact_id: string | null;
      email: string;
      is_test: boolean;
      sender_id: string | null;
      sent_at: Date | null;
    }>(q.FIND, [ids]);
    for (const r of rows) {
      found.set(r.id, {
        id: r.id,
        campaignId: r.campaign_id,
        contactId: r.contact_id,
        email: r.email,
        isTest: r.is_test,
        senderId: r.sender_id,
        sentAt: r.sent_at,
      });
    }
    return found;
  }

  /** A claimed row not attempted after all: queued again for `at`, its attempt not counted. */
  async postpone(id: string, at: Date, reply: string | null = null): Promise<boolean> {
    return (await this.db.execute(q.POSTPONE, [id, at, reply])) === 1;
  }

  /** Single messages left `sending` longer than `olderThanMs` go back to the queue, counted in `reclaimed`. */
  reclaimStaleSingles(olderThanMs: number): Promise<number> {
    return this.db.execute(q.RECLAIM_STALE_SINGLES, [olderThanMs]);
  }

  /** The delivery state of the single messages among `ids`, by id. */
  async singleStates(ids: readonly string[]): Promise<Map<string, SingleMessageState>> {
    const states = new Map<string, SingleMessageState>();
    if (ids.length === 0) return states;
    const rows = await this.db.rows<{
      id: string;
      email: string;
      status: MessageStatus;
      attempts: number;
      last_reply: string | null;
      next_attempt_at: Date;
      sent_at: Date | null;
      updated_at: Date;
    }>(q.SINGLE_STATES, [ids]);
    for (const r of rows) {
      states.set(r.id, {
        id: r.id,
        email: r.email,
        status: r.status,
        attempts: r.attempts,
        lastReply: r.last_reply,
        nextAttemptAt: r.status === 'queued' || r.status === 'deferred' ? r.next_attempt_at : null,
        sentAt: r.sent_at,
        updatedAt: r.updated_at,
      });
    }
    return states;
  }
}
