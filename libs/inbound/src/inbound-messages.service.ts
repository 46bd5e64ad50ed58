import { Db, decodeCursor, notFound, type Page, parseId, toPage } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { InboundOutcome } from './inbound-intake.js';
import type { InboundMessageDetailView, InboundMessageView } from './inbound.dto.js';
import {
  GET_INBOUND_MESSAGE,
  type InboundMessageDetailRow,
  type InboundMessageRow,
  LIST_INBOUND_MESSAGES,
} from './inbound.sql.js';

const toView = (r: InboundMessageRow): InboundMessageView => ({
  id: r.id,
  receivedAt: r.received_at.toISOString(),
  remoteAddress: r.remote_address,
  envelopeFrom: r.envelope_from,
  envelopeTo: r.envelope_to,
  messageId: r.message_id,
  from: r.from_header,
  subject: r.subject,
  kind: r.kind,
  outcome: r.outcome as InboundOutcome,
  effect: r.effect,
  reason: r.reason,
  matchedMessageId: r.matched_message_id,
  size: r.size,
});

/** What the inbound listener took, for operators: newest first, each with its outcome and reason. */
@Injectable()
export class InboundMessages {
  constructor(private readonly db: Db) {}

  async list(limit: number, cursor?: string, outcome?: InboundOutcome): Promise<Page<InboundMessageView>> {
    const before = decodeCursor(cursor);
    const rows = await this.db.rows<InboundMessageRow>(LIST_INBOUND_MESSAGES, [
      before ?? null,
      limit + 1,
      outcome ?? null,
    ]);
    return toPage(rows, limit, toView);
  }

  async get(id: string): Promise<InboundMessageDetailView> {
    const row = await this.db.maybeOne<InboundMessageDetailRow>(GET_INBOUND_MESSAGE, [parseId(id)]);
    if (row === undefined) throw notFound('Inbound message', id);
    return {
      ...toView(row),
      headers: row.headers,
      report: row.report as Record<string, unknown> | null,
      raw: row.raw.toString('utf8'),
      rawTruncated: row.raw_truncated,
    };
  }
}
