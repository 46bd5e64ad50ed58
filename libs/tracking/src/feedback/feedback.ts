import { OutgoingEvents, type Sql } from '@herald/common';
import { Injectable } from '@nestjs/common';
import type { TrackedMessage } from '../message-source.js';
import { COUNT_COMPLAINT, INSERT_FEEDBACK_EVENT } from './feedback.sql.js';

/** The longest detail kept with an event: a status code and the remote server's diagnostic. */
const DETAIL_MAX = 500;

/**
 * Bounces and spam complaints that come back by mail, as events of the
 * message they are about. The caller (libs/inbound) matched the report to
 * its message, decided it counts (once per message), and passes its own
 * transaction, so the event, the counters and whatever else it records
 * (the suppression, the message's status) are written together.
 */
@Injectable()
export class MailFeedback {
  constructor(private readonly outgoing: OutgoingEvents) {}

  /**
   * A `bounce` event for the message's history: `hard` (the address does
   * not exist) or soft (a temporary failure: full mailbox, greylisting),
   * with the reported status and diagnostic in its detail. The report's
   * hard-bounce figure comes from the message's status, which delivery
   * changes, not from here.
   */
  async bounce(tx: Sql, message: TrackedMessage, hard: boolean, detail: string): Promise<void> {
    await tx.execute(INSERT_FEEDBACK_EVENT, [
      'bounce',
      message.id,
      message.campaignId,
      message.contactId,
      `${hard ? 'hard' : 'soft'}: ${detail}`.slice(0, DETAIL_MAX),
    ]);
  }

  /**
   * A spam complaint (a feedback-loop report): the `complaint` event, +1
   * on the campaign's complaints, and the `complained` event for webhooks.
   */
  async complaint(tx: Sql, message: TrackedMessage, detail: string): Promise<void> {
    await tx.execute(INSERT_FEEDBACK_EVENT, [
      'complaint',
      message.id,
      message.campaignId,
      message.contactId,
      detail.slice(0, DETAIL_MAX),
    ]);
    if (message.campaignId !== null) await tx.execute(COUNT_COMPLAINT, [message.campaignId]);
    await this.outgoing.publish(tx, [
      {
        type: 'complained',
        occurredAt: new Date(),
        data: {
          messageId: message.id,
          campaignId: message.campaignId,
          contactId: message.contactId,
          email: message.email,
          feedbackType: detail.slice(0, DETAIL_MAX),
        },
      },
    ]);
  }
}
