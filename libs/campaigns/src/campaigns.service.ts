import {
  Db,
  decodeCursor,
  DomainError,
  HERALD_CONFIG,
  type HeraldConfig,
  invalid,
  notFound,
  type Page,
  parseId,
  type Sql,
  toPage,
} from '@herald/common';
import { ContactsService, ListsService, requireEmail, sendableFilter } from '@herald/contacts';
import { Outbox, SendersService, Throttle } from '@herald/delivery';
import { SegmentsService } from '@herald/segments';
import { TemplatesService, type TemplateSource } from '@herald/templates';
import { CampaignReports } from '@herald/tracking';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CampaignChecklist } from './campaign-checklist.js';
import { CampaignDeliverer, type CampaignContent, CANCELLED } from './campaign-deliverer.js';
import { CampaignGuard, type GuardCounters } from './campaign-guard.js';
import { CampaignQueue } from './campaign-queue.js';
import {
  type CampaignAction,
  type CampaignState,
  allowedActions,
  illegalTransition,
  statesAllowing,
} from './campaign-state.js';
import {
  type CampaignPreflightView,
  type CampaignReportView,
  type CampaignView,
  REPORT_DOMAINS,
  type TestSendView,
} from './campaigns.dto.js';
import { CAMPAIGN_COLUMNS, campaignsSql } from './campaigns.sql.js';
import { instantOfLocalTime } from './local-time.js';
import { RateMeter } from './send-metrics.js';

/** A campaign's audience: lists and/or a segment, minus an exclusion segment. */
export interface CampaignAudience {
  listIds?: string[];
  segmentId?: string | null;
  excludeSegmentId?: string | null;
}

/** Absent keys stay; null clears. */
export interface CampaignChanges {
  name?: string;
  templateId?: string | null;
  subject?: string | null;
  preheader?: string | null;
  senderIds?: string[];
  audience?: CampaignAudience;
  trackOpens?: boolean;
  trackClicks?: boolean;
}

export type NewCampaign = CampaignChanges & { name: string };

export interface CampaignQuery {
  limit: number;
  cursor?: string;
  state?: CampaignState;
}

interface CampaignRow {
  id: string;
  name: string;
  state: CampaignState;
  state_reason: string | null;
  template_id: string | null;
  subject: string | null;
  preheader: string | null;
  list_ids: string[];
  segment_id: string | null;
  exclude_segment_id: string | null;
  track_opens: boolean;
  track_clicks: boolean;
  send_at: Date | null;
  send_at_local: string | null;
  time_zone: string | null;
  audience_count: number | null;
  waiting_for_quota_until: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
  sender_ids: string[];
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toView = (r: CampaignRow): CampaignView => ({
  id: r.id,
  name: r.name,
  state: r.state,
  stateReason: r.state_reason,
  actions: [...allowedActions(r.state)],
  templateId: r.template_id,
  subject: r.subject,
  preheader: r.preheader,
  senderIds: r.sender_ids,
  audience: { listIds: r.list_ids, segmentId: r.segment_id, excludeSegmentId: r.exclude_segment_id },
  trackOpens: r.track_opens,
  trackClicks: r.track_clicks,
  sendAt: iso(r.send_at),
  sendAtLocal: r.send_at_local,
  timeZone: r.time_zone,
  audienceCount: r.audience_count,
  waitingForQuotaUntil: iso(r.waiting_for_quota_until),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/**
 * Campaigns as marketers manage them: editing while nothing is sent, the
 * state machine (each action one conditional UPDATE, 409 naming the state
 * otherwise), scheduling in a time zone, test sends and the report. The
 * sending itself happens in the workers (CampaignStarter, CampaignDeliverer).
 */
@Injectable()
export class CampaignsService {
  private readonly logger = new Logger('Campaigns');

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly queue: CampaignQueue,
    private readonly senders: SendersService,
    private readonly throttle: Throttle,
    private readonly outbox: Outbox,
    private readonly lists: ListsService,
    private readonly contacts: ContactsService,
    private readonly segments: SegmentsService,
    private readonly templates: TemplatesService,
    private readonly deliverer: CampaignDeliverer,
    private readonly rate: RateMeter,
    private readonly reports: CampaignReports,
    private readonly checklist: CampaignChecklist,
    private readonly guard: CampaignGuard,
  ) {}

  async list(query: CampaignQuery): Promise<Page<CampaignView>> {
    const after = decodeCursor(query.cursor);
    const rows = await this.db.rows<CampaignRow>(
      `SELECT ${CAMPAIGN_COLUMNS} FROM campaigns c
       WHERE ($1::bigint IS NULL OR c.id > $1::bigint) AND ($2::text IS NULL OR c.state = $2)
       ORDER BY c.id LIMIT $3`,
      [after ?? null, query.state ?? null, query.limit + 1],
    );
    return toPage(rows, query.limit, toView);
  }

  async get(id: string): Promise<CampaignView> {
    return toView(await this.find(this.db, parseId(id)));
  }

  async create(input: NewCampaign, userId: string | null): Promise<CampaignView> {
    // Reads through other libs' services happen before the transaction, so a
    // request never holds one pooled connection while waiting for another.
    await this.checkTemplateAndSegments(input);
    const senderIds = input.senderIds ?? [await this.senders.sandboxSenderId()];
    return this.db.transaction(async (tx) => {
      await this.checkSendersAndLists(tx, { ...input, senderIds });
      const audience = input.audience ?? {};
      const row = await tx.one<{ id: string }>(
        `INSERT INTO campaigns (name, template_id, subject, preheader, list_ids, segment_id, exclude_segment_id,
           track_opens, track_clicks, created_by)
         VALUES ($1, $2, $3, $4, $5::bigint[], $6, $7, $8, $9, $10) RETURNING id`,
        [
          input.name,
          input.templateId ?? null,
          input.subject ?? null,
          input.preheader ?? null,
          uniqueIds(audience.listIds ?? []),
          audience.segmentId ?? null,
          audience.excludeSegmentId ?? null,
          input.trackOpens ?? true,
          input.trackClicks ?? true,
          userId,
        ],
      );
      await this.setSenders(tx, row.id, senderIds);
      return toView(await this.find(tx, row.id));
    });
  }

  async update(rawId: string, input: CampaignChanges): Promise<CampaignView> {
    const id = parseId(rawId);
    await this.checkTemplateAndSegments(input);
    return this.db.transaction(async (tx) => {
      const current = await this.find(tx, id, true);
      if (!allowedActions(current.state).includes('edit')) throw illegalTransition('edit', current.state);
      await this.checkSendersAndLists(tx, input);
      const params: unknown[] = [id];
      const bind = (value: unknown) => `$${params.push(value)}`;
      const sets = ['updated_at = now()'];
      if (input.name !== undefined) sets.push(`name = ${bind(input.name)}`);
      if (input.templateId !== undefined) sets.push(`template_id = ${bind(input.templateId)}`);
      if (input.subject !== undefined) sets.push(`subject = ${bind(input.subject)}`);
      if (input.preheader !== undefined) sets.push(`preheader = ${bind(input.preheader)}`);
      if (input.trackOpens !== undefined) sets.push(`track_opens = ${bind(input.trackOpens)}`);
      if (input.trackClicks !== undefined) sets.push(`track_clicks = ${bind(input.trackClicks)}`);
      const audience = input.audience;
      if (audience?.listIds !== undefined) sets.push(`list_ids = ${bind(uniqueIds(audience.listIds))}::bigint[]`);
      if (audience?.segmentId !== undefined) sets.push(`segment_id = ${bind(audience.segmentId)}`);
      if (audience?.excludeSegmentId !== undefined)
        sets.push(`exclude_segment_id = ${bind(audience.excludeSegmentId)}`);
      await tx.execute(`UPDATE campaigns SET ${sets.join(', ')} WHERE id = $1`, params);
      if (input.senderIds !== undefined) await this.setSenders(tx, id, input.senderIds);
      return toView(await this.find(tx, id));
    });
  }

  async remove(rawId: string): Promise<void> {
    const id = parseId(rawId);
    const deleted = await this.db.execute(`DELETE FROM campaigns WHERE id = $1 AND state = ANY($2::text[])`, [
      id,
      statesAllowing('delete'),
    ]);
    if (deleted === 0) throw illegalTransition('delete', (await this.find(this.db, id)).state);
  }

  /** Schedules at a wall-clock time in an IANA zone; the instant is fixed now (DST gaps are refused). */
  async schedule(rawId: string, at: string, timeZone: string): Promise<CampaignView> {
    const id = parseId(rawId);
    const sendAt = instantOfLocalTime(at, timeZone);
    if (sendAt.getTime() <= Date.now()) {
      throw invalid(`at: ${at} in ${timeZone} has passed; send now instead`, { at: 'is in the past' });
    }
    await this.requireSendable(await this.find(this.db, id), 'schedule');
    const view = await this.change(
      id,
      'schedule',
      `state = 'scheduled', state_reason = NULL, send_at = $3, send_at_local = $4, time_zone = $5`,
      [sendAt, at, timeZone],
    );
    this.logger.log({ campaignId: id, sendAt }, 'campaign.scheduled');
    return view;
  }

  /** Sends now (draft or scheduled). */
  async send(rawId: string): Promise<CampaignView> {
    return this.startNow(rawId, 'send');
  }

  /** Sends a campaign that waited because its time passed while Herald was down. */
  async confirm(rawId: string): Promise<CampaignView> {
    return this.startNow(rawId, 'confirm');
  }

  async pause(rawId: string): Promise<CampaignView> {
    const view = await this.transition(rawId, 'pause', 'paused', null);
    this.logger.log({ campaignId: view.id }, 'campaign.paused');
    return view;
  }

  /** Sends again; the guards judge what comes after, not the figures that paused it. */
  async resume(rawId: string): Promise<CampaignView> {
    const since = await this.guard.counters(parseId(rawId));
    const view = await this.transition(rawId, 'resume', 'sending', null, since);
    this.logger.log({ campaignId: view.id }, 'campaign.resumed');
    await this.enqueue(view);
    return view;
  }

  async cancel(rawId: string): Promise<CampaignView> {
    const view = await this.transition(rawId, 'cancel', 'cancelled', null);
    // Rows a delivery job holds are skipped by that job as it stops.
    await this.outbox.skipUnsent(view.id, CANCELLED);
    this.logger.log({ campaignId: view.id }, 'campaign.cancelled');
    return view;
  }

  /** A new draft with the same settings. */
  async duplicate(rawId: string, userId: string | null): Promise<CampaignView> {
    const id = parseId(rawId);
    return this.db.transaction(async (tx) => {
      const row = await tx.maybeOne<{ id: string }>(
        `INSERT INTO campaigns (name, template_id, subject, preheader, list_ids, segment_id, exclude_segment_id,
           track_opens, track_clicks, created_by)
         SELECT left(name || ' (copy)', 200), template_id, subject, preheader, list_ids, segment_id,
           exclude_segment_id, track_opens, track_clicks, $2
         FROM campaigns WHERE id = $1 RETURNING id`,
        [id, userId],
      );
      if (row === undefined) throw notFound('Campaign', id);
      await tx.execute(
        `INSERT INTO campaign_senders (campaign_id, sender_id, position)
         SELECT $2, sender_id, position FROM campaign_senders WHERE campaign_id = $1`,
        [id, row.id],
      );
      return toView(await this.find(tx, row.id));
    });
  }

  /**
   * Test messages to `emails`, sent now through the campaign's own path
   * (its senders, throttle, MIME and SMTP), with `[Test]` before the
   * subject; not counted in the report. A started campaign's frozen content
   * is used, otherwise the template as it is now.
   */
  async test(rawId: string, emails: string[]): Promise<TestSendView> {
    const id = parseId(rawId);
    const addresses = emails.map((e, i) => requireEmail(e, `emails[${i}]`));
    const campaign = await this.find(this.db, id);
    if (!allowedActions(campaign.state).includes('test')) throw illegalTransition('test', campaign.state);
    if (campaign.template_id === null)
      throw invalid('templateId: choose a template first', { templateId: 'is required' });
    const senders = await this.senders.forSending(campaign.sender_ids);
    const sender = senders.find((s) => s.disabledReason === null);
    if (sender === undefined) {
      throw invalid('senderIds: no usable sender (all are disabled)', { senderIds: 'no usable sender' });
    }
    const source = await this.contentSource(campaign);
    const compiled = await this.deliverer.compile(source, senders[0], campaign.track_opens, campaign.track_clicks);
    const messageIds = await this.db.transaction((tx) => this.outbox.addTests(tx, id, addresses));
    const outcomes = await this.deliverer.sendTests(id, messageIds, compiled, campaign.sender_ids);
    this.logger.log({ campaignId: id, messages: messageIds.length }, 'campaign.test_sent');
    return { messageIds, outcomes };
  }

  async report(rawId: string): Promise<CampaignReportView> {
    const id = parseId(rawId);
    const campaign = await this.find(this.db, id);
    const [counts, domains, links] = await Promise.all([
      this.outbox.counts(id),
      this.outbox.countsByDomain(id, REPORT_DOMAINS),
      this.db.rows<{ index: number; url: string }>(campaignsSql.links, [id]),
    ]);
    const engagement = await this.reports.engagement(id, {
      delivered: counts.sent,
      hardBounces: counts.bounced,
      softBounces: counts.failed,
      attempted: counts.sent + counts.bounced + counts.failed + counts.uncertain,
      domains,
    });
    const clicked = new Map(engagement.links.map((l) => [l.index, l]));
    const ratePerSecond = await this.rate.perSecond(id);
    const remaining = counts.queued + counts.deferred + counts.sending;
    return {
      state: campaign.state,
      stateReason: campaign.state_reason,
      waitingForQuotaUntil: iso(campaign.waiting_for_quota_until),
      audience: campaign.audience_count,
      queued: counts.queued,
      sending: counts.sending,
      sent: counts.sent,
      deferred: counts.deferred,
      failed: counts.failed,
      bounced: counts.bounced,
      uncertain: counts.uncertain,
      skipped: counts.skipped,
      reclaimed: counts.reclaimed,
      ratePerSecond: Math.round(ratePerSecond * 100) / 100,
      expectedFinishAt: await this.expectedFinish(campaign, remaining, ratePerSecond),
      startedAt: iso(campaign.started_at),
      finishedAt: iso(campaign.finished_at),
      ...engagement,
      links: links.map((l) => ({
        index: l.index,
        url: l.url,
        clicks: clicked.get(l.index)?.clicks ?? { total: 0, human: 0 },
        uniqueClicks: clicked.get(l.index)?.uniqueClicks ?? { total: 0, human: 0 },
      })),
    };
  }

  /**
   * What sending now would meet, before it starts: the contacts the audience
   * selects that may be mailed (subscribed, unsuppressed, each once), each
   * sender's remaining daily capacity, and when the audience would have
   * gone out at the senders' combined rate if today's capacity covers it.
   * Counting is read-only with the segment timeout; a count that cannot be
   * made is reported with why, not thrown.
   */
  async preflight(rawId: string): Promise<CampaignPreflightView> {
    const campaign = await this.find(this.db, parseId(rawId));
    const senders = await this.senders.forSending(campaign.sender_ids);
    const usable = senders.filter((s) => s.disabledReason === null);
    const remaining = await Promise.all(senders.map((s) => this.throttle.remainingToday(s)));
    let audience: number | null = null;
    let audienceError: string | null = null;
    try {
      if (campaign.list_ids.length === 0 && campaign.segment_id === null) {
        throw invalid('Choose lists or a segment');
      }
      const filter = sendableFilter(await this.audienceFilter(campaign));
      audience = await this.db.transaction(async (tx) => {
        await tx.execute(`SET TRANSACTION READ ONLY`);
        await tx.execute(`SELECT set_config('statement_timeout', $1, true)`, [
          String(this.config.HERALD_SEGMENT_TIMEOUT_MS),
        ]);
        return this.contacts.count(tx, filter);
      });
    } catch (error) {
      if (error instanceof DomainError) audienceError = error.message;
      else if ((error as { code?: unknown }).code === '57014') {
        audienceError = `Counting the audience took longer than ${this.config.HERALD_SEGMENT_TIMEOUT_MS} ms`;
      } else throw error;
    }
    const checks = await this.checklist.checks({
      campaignId: campaign.id,
      source: campaign.template_id === null ? null : await this.contentSource(campaign),
      senders,
      trackOpens: campaign.track_opens,
      trackClicks: campaign.track_clicks,
    });
    const capacities = senders.flatMap((s, i) => (s.disabledReason === null ? [remaining[i]] : []));
    const unlimited = capacities.some((c) => c === null);
    const remainingToday = unlimited ? null : capacities.reduce<number>((sum, c) => sum + (c ?? 0), 0);
    const ratePerSecond = usable.reduce((sum, s) => sum + s.ratePerSecond, 0);
    const coversAudience = audience !== null && usable.length > 0 && (remainingToday ?? Infinity) >= audience;
    return {
      audience,
      audienceError,
      senders: senders.map((s, i) => ({
        id: s.id,
        name: s.name,
        ratePerSecond: s.ratePerSecond,
        dailyLimit: s.dailyLimit,
        remainingToday: remaining[i],
        hasDkim: s.dkim !== null,
        disabledReason: s.disabledReason,
      })),
      remainingToday,
      ratePerSecond,
      coversAudience,
      expectedFinishAt:
        coversAudience && audience !== null && ratePerSecond > 0
          ? new Date(Date.now() + (audience / ratePerSecond) * 1000).toISOString()
          : null,
      checks,
    };
  }

  /**
   * When the rest will have gone out at the current rate, if today's
   * remaining capacity of the senders covers it; null when that cannot be
   * said (not sending, no rate yet, or it needs another day's quota).
   */
  private async expectedFinish(campaign: CampaignRow, remaining: number, rate: number): Promise<string | null> {
    if (campaign.state === 'sent') return iso(campaign.finished_at);
    if (campaign.state !== 'sending' || campaign.started_at === null) return null;
    if (remaining === 0) return new Date().toISOString();
    if (rate <= 0 || campaign.waiting_for_quota_until !== null) return null;
    const senders = (await this.senders.forSending(campaign.sender_ids)).filter((s) => s.disabledReason === null);
    const capacities = await Promise.all(senders.map((s) => this.throttle.remainingToday(s)));
    const unlimited = capacities.some((c) => c === null);
    const capacity = capacities.reduce<number>((sum, c) => sum + (c ?? 0), 0);
    if (!unlimited && capacity < remaining) return null;
    return new Date(Date.now() + (remaining / rate) * 1000).toISOString();
  }

  private async startNow(rawId: string, action: Extract<CampaignAction, 'send' | 'confirm'>): Promise<CampaignView> {
    const id = parseId(rawId);
    await this.requireSendable(await this.find(this.db, id), action);
    const view = await this.change(id, action, `state = 'sending', state_reason = NULL, send_at = now()`, []);
    this.logger.log({ campaignId: id, action }, 'campaign.send_requested');
    await this.enqueue(view);
    return view;
  }

  /**
   * Adds the start or delivery jobs. A Redis that does not answer is not the
   * marketer's problem: the campaign is already `sending` in Postgres, and the
   * scheduler tick adds the missing jobs.
   */
  private async enqueue(view: CampaignView): Promise<void> {
    try {
      if (view.startedAt === null) await this.queue.start(view.id);
      else await this.queue.deliver(view.id);
    } catch (error) {
      this.logger.warn({ err: error, campaignId: view.id }, 'campaign.enqueue_deferred_to_tick');
    }
  }

  /**
   * One conditional UPDATE applying `sets` when the campaign's state allows
   * `action` ($1 is the id, $2 the allowed states, extra values from $3);
   * otherwise a 409 naming the state it is in now.
   */
  private async change(id: string, action: CampaignAction, sets: string, values: unknown[]): Promise<CampaignView> {
    const changed = await this.db.execute(
      `UPDATE campaigns SET ${sets}, updated_at = now() WHERE id = $1 AND state = ANY($2::text[])`,
      [id, statesAllowing(action), ...values],
    );
    const row = await this.find(this.db, id);
    if (changed === 0) throw illegalTransition(action, row.state);
    return toView(row);
  }

  private async transition(
    rawId: string,
    action: CampaignAction,
    to: CampaignState,
    reason: string | null,
    guardSince: GuardCounters | null = null,
  ): Promise<CampaignView> {
    const id = parseId(rawId);
    const changed = await this.db.maybeOne(campaignsSql.transition, [
      id,
      statesAllowing(action),
      reason,
      to,
      guardSince === null ? null : JSON.stringify(guardSince),
    ]);
    const row = await this.find(this.db, id);
    if (changed === undefined) throw illegalTransition(action, row.state);
    return toView(row);
  }

  /**
   * What sending needs, checked before a campaign leaves draft: 400 naming
   * the missing field. A state that does not allow `action` is the 409 first.
   */
  private async requireSendable(c: CampaignRow, action: CampaignAction): Promise<void> {
    if (!allowedActions(c.state).includes(action)) throw illegalTransition(action, c.state);
    if (c.template_id === null) throw invalid('templateId: choose a template first', { templateId: 'is required' });
    if (c.sender_ids.length === 0) throw invalid('senderIds: choose a sender', { senderIds: 'is required' });
    if (c.list_ids.length === 0 && c.segment_id === null) {
      throw invalid('audience: choose lists or a segment', { audience: 'choose lists or a segment' });
    }
    await this.audienceFilter(c);
  }

  private async audienceFilter(c: Pick<CampaignRow, 'list_ids' | 'segment_id' | 'exclude_segment_id'>) {
    try {
      return await this.segments.audienceFilter({
        listIds: c.list_ids,
        segmentId: c.segment_id ?? undefined,
        excludeSegmentId: c.exclude_segment_id ?? undefined,
      });
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') {
        const field = error.message.includes(` ${c.segment_id} `) ? 'audience.segmentId' : 'audience.excludeSegmentId';
        throw invalid(`${field}: ${error.message}`, { [field]: error.message });
      }
      if (error instanceof DomainError && error.kind === 'invalid' && error.fields?.listIds !== undefined) {
        throw invalid(`audience.listIds: ${error.fields.listIds}`, { 'audience.listIds': error.fields.listIds });
      }
      throw error;
    }
  }

  /** The template and segments the input names must exist: 400 naming the field. */
  private async checkTemplateAndSegments(input: CampaignChanges): Promise<void> {
    if (input.templateId !== undefined && input.templateId !== null) {
      try {
        await this.templates.get(input.templateId);
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'not_found') {
          throw invalid(`templateId: no template with id ${input.templateId}`, { templateId: 'no such template' });
        }
        throw error;
      }
    }
    for (const field of ['segmentId', 'excludeSegmentId'] as const) {
      const segmentId = input.audience?.[field];
      if (segmentId === undefined || segmentId === null) continue;
      try {
        await this.segments.contactFilter(segmentId, 1);
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'not_found') {
          throw invalid(`audience.${field}: no segment with id ${segmentId}`, {
            [`audience.${field}`]: 'no such segment',
          });
        }
        throw error;
      }
    }
  }

  /** The senders and lists the input names must exist, checked in the caller's transaction. */
  private async checkSendersAndLists(tx: Sql, input: CampaignChanges): Promise<void> {
    if (input.senderIds !== undefined) await this.senders.requireExist(tx, uniqueIds(input.senderIds), 'senderIds');
    const listIds = input.audience?.listIds;
    if (listIds !== undefined) await this.lists.requireAllExist(tx, uniqueIds(listIds), 'audience.listIds');
  }

  private async setSenders(tx: Sql, id: string, senderIds: string[]): Promise<void> {
    await tx.execute(`DELETE FROM campaign_senders WHERE campaign_id = $1`, [id]);
    await tx.execute(
      `INSERT INTO campaign_senders (campaign_id, sender_id, position)
       SELECT $1, s, p::int FROM unnest($2::bigint[]) WITH ORDINALITY AS x (s, p)`,
      [id, uniqueIds(senderIds)],
    );
  }

  /** What the campaign sends: a started campaign's frozen content, otherwise the template as it is now. */
  private async contentSource(c: CampaignRow): Promise<TemplateSource> {
    const content = await this.db.one<{ content: CampaignContent | null }>(
      `SELECT content FROM campaigns WHERE id = $1`,
      [c.id],
    );
    return content.content?.source ?? (await this.liveSource(c));
  }

  /** The template as it is now with the campaign's overrides: what a test of an unstarted campaign shows. */
  private async liveSource(c: CampaignRow): Promise<TemplateSource> {
    const template = await this.templates.get(c.template_id as string);
    return {
      subject: c.subject ?? template.subject,
      preheader: c.preheader ?? template.preheader,
      format: template.format,
      body: template.body,
      textBody: template.textBody,
    };
  }

  private async find(m: Sql, id: string, forUpdate = false): Promise<CampaignRow> {
    const row = await m.maybeOne<CampaignRow>(
      `SELECT ${CAMPAIGN_COLUMNS} FROM campaigns c WHERE c.id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    if (row === undefined) throw notFound('Campaign', id);
    return row;
  }
}

function uniqueIds(ids: string[]): string[] {
  return [...new Set(ids)];
}
