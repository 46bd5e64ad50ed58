import { Db, DomainError } from '@herald/common';
import { sendableContactsSql } from '@herald/contacts';
import { Outbox, SendersService } from '@herald/delivery';
import { SegmentsService } from '@herald/segments';
import { TemplatesService, type TemplateSource } from '@herald/templates';
import { Injectable, Logger } from '@nestjs/common';
import { type CampaignContent, CampaignDeliverer } from './campaign-deliverer.js';
import { CampaignQueue } from './campaign-queue.js';
import { campaignsSql } from './campaigns.sql.js';

interface StartRow {
  id: string;
  template_id: string | null;
  subject: string | null;
  preheader: string | null;
  list_ids: string[];
  segment_id: string | null;
  exclude_segment_id: string | null;
  track_opens: boolean;
  track_clicks: boolean;
  sender_ids: string[];
}

/**
 * The start of a campaign, once: in one transaction that holds the campaign
 * row, the template is frozen into `content`, compiled (MJML once), its
 * links stored, and the audience snapshotted into `messages` by one
 * `INSERT ... SELECT` (deduplicated, non-subscribed and suppressed contacts
 * left out). Only then are the delivery jobs added. A start that finds the
 * campaign already started, paused or cancelled does nothing.
 */
@Injectable()
export class CampaignStarter {
  private readonly logger = new Logger('Campaigns');

  constructor(
    private readonly db: Db,
    private readonly outbox: Outbox,
    private readonly senders: SendersService,
    private readonly segments: SegmentsService,
    private readonly templates: TemplatesService,
    private readonly deliverer: CampaignDeliverer,
    private readonly queue: CampaignQueue,
  ) {}

  async start(campaignId: string): Promise<'started' | 'skipped' | 'failed'> {
    let outcome: { audience: number; links: number } | undefined;
    try {
      // Everything that reads other libs' data runs before the transaction:
      // inside it, holding a pooled connection and the row lock while asking
      // the pool for another would starve the pool when starts pile up.
      const row = await this.db.maybeOne<StartRow>(campaignsSql.startable, [campaignId]);
      if (row === undefined) return 'skipped';
      const prepared = await this.prepare(row);
      outcome = await this.db.transaction(async (tx) => {
        if ((await tx.maybeOne(campaignsSql.lockForStart, [campaignId])) === undefined) return undefined;
        const { compiled, filter, content } = prepared;
        if (compiled.links.length > 0) {
          await tx.execute(campaignsSql.insertLinks, [
            campaignId,
            compiled.links.map((l) => l.index),
            compiled.links.map((l) => l.url),
          ]);
        }
        const audience = await this.outbox.snapshot(tx, campaignId, sendableContactsSql(filter));
        await tx.execute(campaignsSql.markStarted, [campaignId, JSON.stringify(content), audience]);
        return { audience, links: compiled.links.length };
      });
    } catch (error) {
      // What the marketer must fix (a list or segment deleted, a template or
      // sender gone) fails the campaign with the reason; anything else is
      // retried by the reconciler.
      if (!(error instanceof DomainError) || error.kind === 'unavailable') throw error;
      await this.db.execute(campaignsSql.fail, [campaignId, `Could not start: ${error.message}`.slice(0, 1000)]);
      this.logger.warn({ campaignId, reason: error.message }, 'campaign.start_failed');
      return 'failed';
    }
    if (outcome === undefined) return 'skipped';
    this.logger.log({ campaignId, audience: outcome.audience, links: outcome.links }, 'campaign.started');
    await this.queue.deliver(campaignId);
    return 'started';
  }

  /** The frozen content, its compiled form (MJML once) and the audience filter. */
  private async prepare(row: StartRow) {
    if (row.template_id === null) throw new DomainError('invalid', 'The campaign has no template');
    const template = await this.templates.get(row.template_id);
    const source: TemplateSource = {
      subject: row.subject ?? template.subject,
      preheader: row.preheader ?? template.preheader,
      format: template.format,
      body: template.body,
      textBody: template.textBody,
    };
    const senders = await this.senders.forSending(row.sender_ids);
    if (senders.length === 0) throw new DomainError('invalid', 'The campaign has no sender');
    const compiled = await this.deliverer.compile(source, senders[0], row.track_opens, row.track_clicks);
    const filter = await this.segments.audienceFilter({
      listIds: row.list_ids,
      segmentId: row.segment_id ?? undefined,
      excludeSegmentId: row.exclude_segment_id ?? undefined,
    });
    const content: CampaignContent = { source, templateId: row.template_id };
    return { compiled, filter, content };
  }
}
