import { Db } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { MachineReason } from '../events/machine.js';
import * as q from './activity.sql.js';

/** The first of each thing a recipient did with one message; null when it never happened. */
export interface MessageFirsts {
  firstOpenAt: Date | null;
  firstHumanOpenAt: Date | null;
  firstClickAt: Date | null;
  firstHumanClickAt: Date | null;
  unsubscribedAt: Date | null;
}

export type EventType = 'open' | 'click' | 'unsubscribe' | 'complaint' | 'bounce';

/** One recorded event of a message. */
export interface MessageEvent {
  id: string;
  messageId: string;
  type: EventType;
  /** The link of a click, by its index in the campaign's links. */
  linkIndex: number | null;
  machine: boolean;
  machineReason: MachineReason | null;
  occurredAt: Date;
}

/** How often a message was opened and its links clicked, all and by people (machines left out). */
export interface EngagementCounts {
  opens: { total: number; human: number };
  clicks: { total: number; human: number };
}

export const NO_ENGAGEMENT: EngagementCounts = { opens: { total: 0, human: 0 }, clicks: { total: 0, human: 0 } };

export const NO_ACTIVITY: MessageFirsts = {
  firstOpenAt: null,
  firstHumanOpenAt: null,
  firstClickAt: null,
  firstHumanClickAt: null,
  unsubscribedAt: null,
};

/**
 * What recipients did with messages, looked up by message id: for callers
 * that have the messages (campaigns, from delivery's `Outbox`) and add
 * this lib's part, so each lib's SQL stays on its own tables.
 */
@Injectable()
export class MessageActivity {
  constructor(private readonly db: Db) {}

  /** Firsts by message id; messages without any activity are absent (use `NO_ACTIVITY`). */
  async firsts(messageIds: readonly string[]): Promise<Map<string, MessageFirsts>> {
    const found = new Map<string, MessageFirsts>();
    if (messageIds.length === 0) return found;
    const rows = await this.db.rows<{
      message_id: string;
      first_open_at: Date | null;
      first_human_open_at: Date | null;
      first_click_at: Date | null;
      first_human_click_at: Date | null;
      unsubscribed_at: Date | null;
    }>(q.FIRSTS, [messageIds]);
    for (const r of rows) {
      if (r.first_open_at === null && r.first_click_at === null && r.unsubscribed_at === null) continue;
      found.set(r.message_id, {
        firstOpenAt: r.first_open_at,
        firstHumanOpenAt: r.first_human_open_at,
        firstClickAt: r.first_click_at,
        firstHumanClickAt: r.first_human_click_at,
        unsubscribedAt: r.unsubscribed_at,
      });
    }
    return found;
  }

  /** Open and click counts by message id, from the events; messages with neither are absent (use `NO_ENGAGEMENT`). */
  async counts(messageIds: readonly string[]): Promise<Map<string, EngagementCounts>> {
    if (messageIds.length === 0) return new Map();
    const rows = await this.db.rows<{
      message_id: string;
      opens: number;
      human_opens: number;
      clicks: number;
      human_clicks: number;
    }>(q.COUNTS, [messageIds]);
    return new Map(
      rows.map((r) => [
        r.message_id,
        { opens: { total: r.opens, human: r.human_opens }, clicks: { total: r.clicks, human: r.human_clicks } },
      ]),
    );
  }

  /** Up to `perMessage` newest events of each message, newest first. */
  async events(messageIds: readonly string[], perMessage: number): Promise<MessageEvent[]> {
    if (messageIds.length === 0) return [];
    const rows = await this.db.rows<{
      id: string;
      message_id: string;
      type: EventType;
      link_index: number | null;
      machine: boolean;
      machine_reason: MachineReason | null;
      occurred_at: Date;
    }>(q.EVENTS, [messageIds, perMessage]);
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      type: r.type,
      linkIndex: r.link_index,
      machine: r.machine,
      machineReason: r.machine_reason,
      occurredAt: r.occurred_at,
    }));
  }
}
