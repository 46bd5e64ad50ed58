import { Db, decodeCursor, type Page, parseId, safeCell, toPage } from '@herald/common';
import { ContactsService } from '@herald/contacts';
import { type MessageRecord, Outbox } from '@herald/delivery';
import { MessageActivity, NO_ACTIVITY } from '@herald/tracking';
import { Injectable } from '@nestjs/common';
import type { ContactActivityView } from './campaigns.dto.js';
import { campaignsSql } from './campaigns.sql.js';
import { CampaignsService } from './campaigns.service.js';

/** Messages read per page of the export: one query to delivery and one to tracking each. */
const EXPORT_PAGE = 1000;
/** Events shown per message in a contact's history (the newest). */
const EVENTS_PER_MESSAGE = 50;

export const ACTIVITY_CSV_COLUMNS = [
  'email',
  'status',
  'sent_at',
  'first_open_at',
  'first_click_at',
  'opened_by_person',
  'clicked_by_person',
  'unsubscribed_at',
  'bounce_reply',
] as const;

const iso = (d: Date | null) => d?.toISOString() ?? '';
/** The refusal of a message that did not arrive; other replies (250 …) say nothing worth exporting. */
const bounceReply = (m: MessageRecord) => (m.status === 'bounced' || m.status === 'failed' ? (m.lastReply ?? '') : '');

/**
 * What each recipient of a campaign did, and what a contact got and did:
 * composed here because the messages are delivery's and the events
 * tracking's, and only campaigns sits above both. Each lib runs its own SQL.
 */
@Injectable()
export class CampaignActivity {
  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly activity: MessageActivity,
    private readonly contacts: ContactsService,
    private readonly campaigns: CampaignsService,
  ) {}

  /**
   * The per-recipient export as CSV records, header first, one per message
   * in id order (test sends excluded), read in keyset pages so memory stays
   * flat. Cells a spreadsheet would run as formulas get a leading quote,
   * as in the contact export. Throws not-found for an unknown campaign
   * before the first record.
   */
  async *csvRecords(rawId: string): AsyncGenerator<string[]> {
    const id = parseId(rawId);
    await this.campaigns.get(id);
    yield [...ACTIVITY_CSV_COLUMNS];
    let after = '0';
    for (;;) {
      const messages = await this.outbox.campaignPage(id, after, EXPORT_PAGE);
      const firsts = await this.activity.firsts(messages.map((m) => m.id));
      for (const m of messages) {
        const f = firsts.get(m.id) ?? NO_ACTIVITY;
        yield [
          safeCell(m.email),
          m.status,
          iso(m.sentAt),
          iso(f.firstOpenAt),
          iso(f.firstClickAt),
          String(f.firstHumanOpenAt !== null),
          String(f.firstHumanClickAt !== null),
          iso(f.unsubscribedAt),
          safeCell(bounceReply(m)),
        ];
      }
      if (messages.length < EXPORT_PAGE) return;
      after = messages[messages.length - 1].id;
    }
  }

  /** A contact's campaign messages, newest first, each with its campaign's name and its newest events. */
  async contactTimeline(rawId: string, query: { limit: number; cursor?: string }): Promise<Page<ContactActivityView>> {
    const contactId = parseId(rawId);
    const before = decodeCursor(query.cursor) ?? null;
    await this.contacts.get(contactId);
    const messages = await this.outbox.contactPage(contactId, before, query.limit + 1);
    const shown = messages.slice(0, query.limit);
    const ids = shown.map((m) => m.id);
    const [events, campaigns] = await Promise.all([
      this.activity.events(ids, EVENTS_PER_MESSAGE),
      this.db.rows<{ id: string; name: string; links: Record<string, string> }>(campaignsSql.namesAndLinks, [
        [...new Set(shown.map((m) => m.campaignId))],
      ]),
    ]);
    const campaignOf = new Map(campaigns.map((c) => [c.id, c]));
    const eventsOf = new Map<string, typeof events>();
    for (const e of events) eventsOf.set(e.messageId, [...(eventsOf.get(e.messageId) ?? []), e]);
    return toPage(messages, query.limit, (m) => {
      const campaign = campaignOf.get(m.campaignId);
      return {
        messageId: m.id,
        campaignId: m.campaignId,
        campaignName: campaign?.name ?? null,
        email: m.email,
        status: m.status,
        sentAt: m.sentAt?.toISOString() ?? null,
        bounceReply: bounceReply(m) || null,
        events: (eventsOf.get(m.id) ?? []).map((e) => ({
          type: e.type,
          at: e.occurredAt.toISOString(),
          linkIndex: e.linkIndex,
          url: e.linkIndex === null ? null : (campaign?.links[String(e.linkIndex)] ?? null),
          machine: e.machine,
          machineReason: e.machineReason,
        })),
      };
    });
  }
}
