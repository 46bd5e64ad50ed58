import { Clock, Db, HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { type ContactRenderData, ContactsService, SuppressionsService } from '@herald/contacts';
import {
  type ClaimedMessage,
  MessageSkeleton,
  messageDomain,
  Outbox,
  retryAt,
  SenderPool,
  type SendOutcome,
  SendersService,
  type SendingSender,
  Throttle,
} from '@herald/delivery';
import {
  type CompiledTemplate,
  type ContactData,
  MessageRenderer,
  type RenderedMessage,
  type TemplateSource,
  trackingUrls,
} from '@herald/templates';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CampaignGuard, type GuardCounters } from './campaign-guard.js';
import type { CampaignState } from './campaign-state.js';
import { campaignsSql } from './campaigns.sql.js';
import { type MessageOutcome, RateMeter, SendMetrics } from './send-metrics.js';

/** How stale a delivery job's view of its campaign's state and senders may be: pause and cancel land within it. */
const STATE_TTL_MS = 500;
/** Largest batch one claim takes; smaller for slow senders so a claim is never held long (see `batchSize`). */
const MAX_BATCH = 50;
/** Seconds of sending at the campaign's rate that one claim covers. */
const BATCH_SECONDS = 2;
/**
 * Messages one job keeps in flight per pooled connection: while one is on
 * the wire the next is rendered, so neither waits for the other. Outcomes
 * are written to Postgres outside this bound.
 */
const IN_FLIGHT_PER_CONNECTION = 2;
/**
 * Slots this far apart or more leave every connection idle between
 * messages, so overlapping buys nothing; one message per connection then
 * keeps a message from waiting in the pool for a connection and leaving,
 * late, right behind another.
 */
const PACED_SPACING_MS = 10;
/**
 * A slot missed by more than this is skipped rather than caught up:
 * catching up after a stall would send a burst above the sender's rate.
 */
const LATE_SLOT_MS = 50;
/** Why a cancelled campaign's unsent messages are `skipped`. */
export const CANCELLED = 'not sent: the campaign was cancelled';
/** A 421/454 halves the sender's rate for a minute. */
const SLOW_DOWN = { factor: 0.5, forMs: 60_000 };

/** The frozen content of a started campaign (`campaigns.content`). */
export interface CampaignContent {
  source: TemplateSource;
  templateId: string;
}

interface SendingStateRow {
  state: CampaignState;
  content: CampaignContent | null;
  track_opens: boolean;
  track_clicks: boolean;
  waiting_for_quota_until: Date | null;
  /** The report's figures when the campaign was last resumed; null before. */
  guard_since: GuardCounters | null;
  sender_ids: string[];
}

/** The per-campaign sending state of one delivery job, refreshed at most every STATE_TTL_MS. */
interface Run {
  campaignId: string;
  compiled: CompiledTemplate;
  senders: SendingSender[];
  skeletons: Map<string, MessageSkeleton>;
  /** Senders whose daily quota is spent in this run, with when it resets. */
  exhausted: Map<string, Date>;
  /** Weighted round-robin credit per sender (`pickSender`). */
  credit: Map<string, number>;
  state: CampaignState;
  checkedAt: number;
  /** A refresh of `state` started while waiting for a slot, and what it threw (`stillSending` surfaces it). */
  refreshing?: Promise<void>;
  refreshError?: unknown;
  /** Tests bypass the campaign's state (they are sent in draft, scheduled and paused). */
  tests: boolean;
  signal?: AbortSignal;
}

/** A campaign message as built for one recipient. */
export interface BuiltMessage {
  raw: Buffer;
  token: string;
  rendered: RenderedMessage;
}

/** The id a sample message is built under; it is never stored, so no row has it. */
const SAMPLE_MESSAGE_ID = '1';

/** A sender's message skeleton for a campaign: From, Reply-To, Feedback-ID and DKIM, fixed once. */
function campaignSkeleton(campaignId: string, sender: SendingSender): MessageSkeleton {
  return new MessageSkeleton({
    from: { email: sender.fromEmail, name: sender.fromName },
    replyTo: sender.replyTo,
    domain: messageDomain(sender.fromEmail),
    feedbackId: `${campaignId}:${sender.id}:campaign:herald`,
    dkim: sender.dkim,
  });
}

/** How one delivery job ended. */
export type DeliverEnd = 'drained' | 'stopped' | 'quota' | 'no_senders';

/** A recipient whose data cannot make a message. */
interface Unbuildable {
  kind: 'unbuildable';
  reason: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The delivery loop of one campaign: claim a batch, re-check suppression,
 * pick a sender by remaining capacity, wait for throttle slots, render,
 * build and send each message, and record every outcome with its own
 * conditional update. Rows change state only on an SMTP outcome, so a crash
 * leaves at most the messages in flight to be reclaimed (and counted).
 */
@Injectable()
export class CampaignDeliverer {
  private readonly logger = new Logger('Campaigns');
  /** Compiled templates by campaign: MJML once per campaign and process (invariant 3). */
  private readonly compiledCache = new Map<string, Promise<CompiledTemplate>>();

  constructor(
    private readonly db: Db,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    private readonly senders: SendersService,
    private readonly pool: SenderPool,
    private readonly throttle: Throttle,
    private readonly renderer: MessageRenderer,
    private readonly contacts: ContactsService,
    private readonly suppressions: SuppressionsService,
    private readonly metrics: SendMetrics,
    private readonly rate: RateMeter,
    private readonly guard: CampaignGuard,
  ) {}

  /** The compile options every process uses for a campaign, so link indexes match `campaign_links`. */
  compile(source: TemplateSource, sender: SendingSender, trackOpens: boolean, trackClicks: boolean) {
    return this.renderer.compile(source, {
      sender: { name: sender.fromName ?? undefined, address: sender.postalAddress },
      trackOpens,
      trackClicks,
    });
  }

  /** One delivery job: sends until nothing is sendable now, the campaign stops, or every sender's quota is spent. */
  async deliver(campaignId: string, signal?: AbortSignal): Promise<DeliverEnd> {
    const row = await this.readState(campaignId);
    if (row === undefined || row.state !== 'sending' || row.content === null) return 'stopped';
    if (row.waiting_for_quota_until !== null && row.waiting_for_quota_until.getTime() > this.clock.now())
      return 'quota';
    const senders = await this.senders.forSending(row.sender_ids);
    if (senders.length === 0) return this.noSenders(campaignId, []);
    const content = row.content;
    let compiled = this.compiledCache.get(campaignId);
    if (compiled === undefined) {
      compiled = this.compile(content.source, senders[0], row.track_opens, row.track_clicks);
      this.compiledCache.set(campaignId, compiled);
      compiled.catch(() => this.compiledCache.delete(campaignId));
    }
    const run: Run = {
      campaignId,
      compiled: await compiled,
      senders,
      skeletons: new Map(),
      exhausted: new Map(),
      credit: new Map(),
      state: row.state,
      checkedAt: Date.now(),
      tests: false,
      signal,
    };
    for (;;) {
      if (!(await this.stillSending(run))) return 'stopped';
      const active = this.activeSenders(run);
      if (active.length === 0) return this.outOfSenders(run);
      const batch = await this.outbox.claim(campaignId, this.batchSize(active));
      if (batch.length === 0) {
        await this.finishIfDone(campaignId);
        return 'drained';
      }
      const end = await this.sendBatch(run, batch);
      if (end !== undefined) return end;
    }
  }

  /**
   * Test messages of a campaign, sent now through the same path. Rows are
   * claimed like any others; real recipients of a paused campaign that a
   * claim picks up are released at once. Returns each test message's outcome
   * (`queued` when it was not reached; it goes out with the campaign).
   */
  async sendTests(
    campaignId: string,
    messageIds: string[],
    compiled: CompiledTemplate,
    senderIds: string[],
  ): Promise<Record<string, string>> {
    const outcomes: Record<string, string> = Object.fromEntries(messageIds.map((id) => [id, 'queued']));
    const run: Run = {
      campaignId,
      compiled,
      senders: await this.senders.forSending(senderIds),
      skeletons: new Map(),
      exhausted: new Map(),
      credit: new Map(),
      state: 'sending',
      checkedAt: Date.now(),
      tests: true,
    };
    const wanted = new Set(messageIds);
    for (let round = 0; round < 5 && wanted.size > 0; round++) {
      const claimed = await this.outbox.claim(campaignId, wanted.size + 20);
      if (claimed.length === 0) break;
      const others = claimed.filter((m) => !wanted.has(m.id));
      if (others.length > 0) await this.outbox.release(others.map((m) => m.id));
      const mine = claimed.filter((m) => wanted.has(m.id));
      for (const m of mine) wanted.delete(m.id);
      await this.sendBatch(run, mine, outcomes);
    }
    return outcomes;
  }

  /** Marks the campaign sent when no message is queued, deferred or in flight. */
  async finishIfDone(campaignId: string): Promise<boolean> {
    const counts = await this.outbox.counts(campaignId);
    if (counts.queued + counts.deferred + counts.sending > 0) return false;
    const done = await this.db.maybeOne(campaignsSql.finish, [campaignId]);
    if (done === undefined) return false;
    this.compiledCache.delete(campaignId);
    this.guard.forget(campaignId);
    this.logger.log(
      {
        campaignId,
        sent: counts.sent,
        bounced: counts.bounced,
        failed: counts.failed,
        uncertain: counts.uncertain,
        skipped: counts.skipped,
        reclaimed: counts.reclaimed,
      },
      'campaign.finished',
    );
    return true;
  }

  private readState(campaignId: string): Promise<SendingStateRow | undefined> {
    return this.db.maybeOne<SendingStateRow>(campaignsSql.sendingState, [campaignId]);
  }

  /** The campaign's state and senders as of at most STATE_TTL_MS ago; false once it is no longer sending. */
  private async stillSending(run: Run): Promise<boolean> {
    if (run.signal?.aborted) return false;
    if (run.tests) return true;
    if (run.refreshing !== undefined) await run.refreshing;
    if (run.refreshError !== undefined) {
      const error = run.refreshError;
      run.refreshError = undefined;
      throw error;
    }
    if (Date.now() - run.checkedAt >= STATE_TTL_MS) await this.refreshState(run);
    return run.state === 'sending';
  }

  /**
   * `stillSending` without waiting for the database: a stale state is
   * refreshed in the background, so a slow query never makes a reserved
   * slot late. A pause or cancel lands at most one refresh later.
   */
  private stillSendingNow(run: Run): boolean {
    if (run.signal?.aborted) return false;
    if (run.tests) return true;
    // The database failed us: stop handing over messages whose outcome could not be written.
    if (run.refreshError !== undefined) return false;
    if (run.refreshing === undefined && Date.now() - run.checkedAt >= STATE_TTL_MS) {
      run.refreshing = this.refreshState(run)
        .catch((error: unknown) => {
          run.refreshError = error;
        })
        .finally(() => {
          run.refreshing = undefined;
        });
    }
    return run.state === 'sending';
  }

  private async refreshState(run: Run): Promise<void> {
    const row = await this.readState(run.campaignId);
    run.state = row?.state ?? 'cancelled';
    run.checkedAt = Date.now();
    if (row === undefined || run.state !== 'sending') return;
    // Hard bounces reported by mail after sending, and complaints, reach only the report's counters.
    const counted = await this.guard.countersReason(run.campaignId, row.guard_since);
    if (counted !== null) {
      await this.pauseFor(run, counted);
      return;
    }
    // Senders taken out by another job stop here too.
    const fresh = await this.senders.forSending(row.sender_ids);
    const disabled = new Set(fresh.filter((s) => s.disabledReason !== null).map((s) => s.id));
    run.senders = run.senders.map((s) => (disabled.has(s.id) ? (fresh.find((f) => f.id === s.id) ?? s) : s));
  }

  private activeSenders(run: Run): SendingSender[] {
    return run.senders.filter((s) => s.disabledReason === null && !run.exhausted.has(s.id));
  }

  /** About BATCH_SECONDS of sending at the senders' combined rate, so a claim is released quickly on pause. */
  private batchSize(active: SendingSender[]): number {
    const rate = active.reduce((sum, s) => sum + s.ratePerSecond, 0);
    return Math.max(1, Math.min(MAX_BATCH, Math.ceil(rate * BATCH_SECONDS)));
  }

  /**
   * Sends one claimed batch. Whatever was claimed and not recorded when it
   * returns (pause, cancel, shutdown, no sender, an error) goes back to
   * `queued`. Returns how the job should end, or undefined to go on.
   */
  private async sendBatch(
    run: Run,
    batch: ClaimedMessage[],
    outcomes?: Record<string, string>,
  ): Promise<DeliverEnd | undefined> {
    const recorded = new Set<string>();
    try {
      const suppressed = await this.suppressions.suppressedAmong(batch.map((m) => m.email));
      const skip = batch.filter((m) => suppressed.has(m.email.toLowerCase()) || (!m.isTest && m.contactId === null));
      if (skip.length > 0) {
        await this.outbox.markSkipped(
          skip.map((m) => m.id),
          'suppressed or erased before sending',
        );
        for (const m of skip) {
          recorded.add(m.id);
          if (outcomes) outcomes[m.id] = 'skipped';
        }
        this.metrics.count('skipped', 'none', skip.length);
      }
      const queue = batch.filter((m) => !recorded.has(m.id));
      const contacts = await this.contacts.renderDataMany(
        queue.filter((m) => m.contactId !== null).map((m) => m.contactId as string),
      );
      while (queue.length > 0) {
        if (!(await this.stillSending(run))) return 'stopped';
        const active = this.activeSenders(run);
        if (active.length === 0) return run.tests ? 'no_senders' : await this.outOfSenders(run);
        const sender = await this.pickSender(run, active);
        const wanted = Math.ceil(queue.length / active.length);
        const reservation = await this.throttle.reserve(sender, wanted);
        if (reservation.kind === 'quota_exhausted') {
          run.exhausted.set(sender.id, reservation.resumesAt);
          continue;
        }
        const chunk = queue.splice(0, reservation.count);
        const unsent = await this.sendChunk(run, sender, chunk, reservation, contacts, recorded, outcomes);
        queue.unshift(...unsent);
      }
      return undefined;
    } finally {
      const left = batch.filter((m) => !recorded.has(m.id)).map((m) => m.id);
      if (run.tests) {
        // A test that could not go now must not go out later with the campaign.
        for (const id of left) {
          await this.outbox.markFailed(id, 'test not sent: no usable sender');
          if (outcomes) outcomes[id] = 'failed';
        }
      } else if (run.state === 'cancelled') {
        await this.outbox.markSkipped(left, CANCELLED);
      } else if (left.length > 0) await this.outbox.release(left);
    }
  }

  /**
   * Sends `chunk` through `sender` on its reserved slots, up to twice its
   * pool size in flight. Returns the messages not attempted (stopped, the
   * sender failed, or their slots passed during a stall), whose unused slots
   * are refunded.
   */
  private async sendChunk(
    run: Run,
    sender: SendingSender,
    chunk: ClaimedMessage[],
    slots: { startAt: number; spacingMs: number },
    contacts: Map<string, ContactRenderData>,
    recorded: Set<string>,
    outcomes?: Record<string, string>,
  ): Promise<ClaimedMessage[]> {
    const inFlight = new Set<Promise<void>>();
    const retry: ClaimedMessage[] = [];
    let senderFailed = false;
    const maxInFlight = sender.poolSize * (slots.spacingMs >= PACED_SPACING_MS ? 1 : IN_FLIGHT_PER_CONNECTION);
    // Connections set up while the first slot is still ahead: a job whose
    // slots follow another job's would otherwise open them on its first
    // slots, miss those and leave a gap in the sender's rate.
    void this.pool.warm(sender, Math.min(chunk.length, sender.poolSize));
    // Slots are reserved one per message; a slot missed by more than LATE_SLOT_MS is skipped, not caught up.
    let slot = 0;
    const onTime = async (): Promise<boolean> => {
      for (; slot < chunk.length; slot++) {
        const at = slots.startAt + slot * slots.spacingMs;
        if (!(await this.waitForSlot(run, at))) return false;
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        if (this.clock.now() - at <= LATE_SLOT_MS) return true;
      }
      return false;
    };
    // What the server said is written to Postgres outside the in-flight bound,
    // so a slow write never holds a connection's next slot.
    const recording = new Set<Promise<void>>();
    const lost = (message: ClaimedMessage) => (error: unknown) => {
      // The database went away, or the hand-over failed in a way the pool
      // did not classify: the message may have been sent, so it is neither
      // retried nor released. It stays claimed until the lease runs out and
      // is then counted as reclaimed.
      this.logger.error({ err: error, campaignId: run.campaignId, messageId: message.id }, 'campaign.send_error');
      recorded.add(message.id);
    };
    let next = 0;
    for (; next < chunk.length; next++, slot++) {
      if (senderFailed || !(await onTime()) || senderFailed) break;
      const message = chunk[next];
      const attempt = this.transmit(run, sender, message, contacts).then((outcome) => {
        if (outcome.kind === 'sender_failed') {
          senderFailed = true;
          retry.push(message);
        }
        const write = this.record(run, sender, message, outcome).then((kind) => {
          if (kind === 'sender_failed') return;
          recorded.add(message.id);
          if (outcomes) outcomes[message.id] = kind;
        }, lost(message));
        const written: Promise<void> = write.finally(() => recording.delete(written));
        recording.add(written);
      }, lost(message));
      const tracked: Promise<void> = attempt.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
    await Promise.all(recording);
    const unsent = [...retry, ...chunk.slice(next)];
    if (unsent.length > 0) await this.throttle.refund(sender, unsent.length);
    return unsent;
  }

  /**
   * Waits for a reserved slot (epoch ms on the throttle's clock) in short
   * steps, so a pause or cancel during a long wait still lands within a
   * second; false when the campaign stopped meanwhile.
   */
  private async waitForSlot(run: Run, at: number): Promise<boolean> {
    for (;;) {
      if (!this.stillSendingNow(run)) return false;
      const wait = at - this.clock.now();
      if (wait <= 0) return true;
      await sleep(Math.min(wait, STATE_TTL_MS));
    }
  }

  /** Renders, builds and hands one message to the sender's pool: what the server said, or why no message could be built. */
  private async transmit(
    run: Run,
    sender: SendingSender,
    message: ClaimedMessage,
    contacts: Map<string, ContactRenderData>,
  ): Promise<SendOutcome | Unbuildable> {
    const contact = message.contactId === null ? undefined : contacts.get(message.contactId);
    let raw: Buffer;
    let token: string;
    try {
      const name = [contact?.first_name, contact?.last_name].filter((p) => p).join(' ');
      ({ raw, token } = this.build(this.skeleton(run, sender), run.compiled, {
        messageId: message.id,
        contact: contact ?? { email: message.email },
        toName: name === '' ? null : name,
        isTest: message.isTest,
      }));
    } catch (error) {
      // This recipient's data cannot make a message (render limits, an address unfit for a header).
      return { kind: 'unbuildable', reason: `not sent: ${(error as Error).message}`.slice(0, 500) };
    }
    return this.pool.send(sender, { from: this.skeleton(run, sender).returnPath(token), to: message.email }, raw);
  }

  /** Records what became of one message, with its own conditional update. */
  private async record(
    run: Run,
    sender: SendingSender,
    message: ClaimedMessage,
    outcome: SendOutcome | Unbuildable,
  ): Promise<MessageOutcome> {
    if (outcome.kind === 'unbuildable') {
      await this.outbox.markFailed(message.id, outcome.reason);
      this.metrics.count('failed', sender.id);
      return 'failed';
    }
    // The guard judges before anything is written, so that the loop stops at its very next slot.
    const guarded = !message.isTest && (outcome.kind === 'sent' || outcome.kind === 'bounced');
    const pauseReason = guarded ? this.guard.recordSend(run.campaignId, outcome.kind === 'bounced') : null;
    if (pauseReason !== null) run.state = 'paused';
    switch (outcome.kind) {
      case 'sent':
        await this.outbox.markSent(message.id, sender.id, outcome.reply);
        if (!message.isTest) this.rate.sent(run.campaignId);
        break;
      case 'bounced':
        await this.outbox.markBounced(message.id, sender.id, outcome.reply);
        await this.suppressions.create({
          email: message.email,
          reason: 'bounced',
          source: `campaign ${run.campaignId}: ${outcome.reply}`.slice(0, 500),
        });
        break;
      case 'uncertain':
        await this.outbox.markUncertain(message.id, sender.id, outcome.reply);
        break;
      case 'deferred': {
        if (outcome.slowDown) await this.throttle.slowDown(sender.id, SLOW_DOWN.factor, SLOW_DOWN.forMs);
        const at = retryAt(message, Date.now(), this.config.HERALD_DEFER_MAX_AGE_HOURS);
        if (at === null) {
          await this.outbox.markFailed(message.id, outcome.reply);
          this.metrics.count('failed', sender.id);
          return 'failed';
        }
        await this.outbox.markDeferred(message.id, sender.id, outcome.reply, at);
        break;
      }
      case 'sender_failed':
        await this.removeSender(run, sender, outcome.reason);
        break;
    }
    this.metrics.count(outcome.kind, sender.id);
    if (pauseReason !== null) await this.pauseFor(run, pauseReason);
    return outcome.kind;
  }

  /** The bounce or complaint guard stops the campaign; messages in flight finish, the rest wait for a resume. */
  private async pauseFor(run: Run, reason: string): Promise<false> {
    run.state = 'paused';
    const paused = await this.db.maybeOne(campaignsSql.transition, [
      run.campaignId,
      ['sending'],
      reason,
      'paused',
      null,
    ]);
    if (paused !== undefined) this.logger.warn({ campaignId: run.campaignId, reason }, 'campaign.paused_by_guard');
    return false;
  }

  private skeleton(run: Run, sender: SendingSender): MessageSkeleton {
    let skeleton = run.skeletons.get(sender.id);
    if (skeleton === undefined) {
      skeleton = campaignSkeleton(run.campaignId, sender);
      run.skeletons.set(sender.id, skeleton);
    }
    return skeleton;
  }

  /**
   * One campaign message as it would go out through `sender`, to a made-up
   * recipient: what the preflight inspects (headers, parts, size), built by
   * the same steps as every real message.
   */
  sample(campaignId: string, compiled: CompiledTemplate, sender: SendingSender, contact: ContactData): BuiltMessage {
    return this.build(campaignSkeleton(campaignId, sender), compiled, {
      messageId: SAMPLE_MESSAGE_ID,
      contact,
      toName: null,
      isTest: false,
    });
  }

  /** Renders one recipient's parts and builds the message around them: the only way a campaign message is made. */
  private build(
    skeleton: MessageSkeleton,
    compiled: CompiledTemplate,
    recipient: { messageId: string; contact: ContactData; toName: string | null; isTest: boolean },
  ): BuiltMessage {
    const rendered = this.renderer.render(compiled, { messageId: recipient.messageId, contact: recipient.contact });
    const raw = skeleton.build({
      messageId: recipient.messageId,
      token: rendered.token,
      to: recipient.contact.email,
      toName: recipient.toName,
      subject: recipient.isTest ? `[Test] ${rendered.subject}` : rendered.subject,
      html: rendered.html,
      text: rendered.text,
      unsubscribeUrl: trackingUrls(this.config.PUBLIC_URL, rendered.token).unsubscribe_url as string,
    });
    return { raw, token: rendered.token, rendered };
  }

  /**
   * The next sender, shared by remaining capacity today (a sender without a
   * daily limit counts a day at its rate): a smooth weighted round robin, so
   * the shares hold within a few picks and ties go to the campaign's order.
   */
  private async pickSender(run: Run, active: SendingSender[]): Promise<SendingSender> {
    if (active.length === 1) return active[0];
    const weights = await Promise.all(
      active.map(async (s) => (await this.throttle.remainingToday(s)) ?? s.ratePerSecond * 86_400),
    );
    const total = weights.reduce((a, b) => a + b, 0);
    let best = 0;
    active.forEach((s, i) => {
      run.credit.set(s.id, (run.credit.get(s.id) ?? 0) + weights[i]);
      if ((run.credit.get(s.id) ?? 0) > (run.credit.get(active[best].id) ?? 0)) best = i;
    });
    run.credit.set(active[best].id, (run.credit.get(active[best].id) ?? 0) - total);
    return active[best];
  }

  private async removeSender(run: Run, sender: SendingSender, reason: string): Promise<void> {
    if (sender.disabledReason !== null) return;
    run.senders = run.senders.map((s) => (s.id === sender.id ? { ...s, disabledReason: reason } : s));
    sender.disabledReason = reason;
    await this.senders.disable(sender.id, reason);
    await this.pool.close(sender.id).catch(() => undefined);
    this.logger.warn({ campaignId: run.campaignId, senderId: sender.id, reason }, 'campaign.sender_removed');
  }

  /** No sender can send now: every one is out of quota (wait), or taken out (pause). */
  private async outOfSenders(run: Run): Promise<DeliverEnd> {
    const usable = run.senders.filter((s) => s.disabledReason === null);
    if (usable.length > 0 && usable.every((s) => run.exhausted.has(s.id))) {
      const resumesAt = new Date(Math.min(...usable.map((s) => (run.exhausted.get(s.id) as Date).getTime())));
      const reason = `Every sender's daily limit is reached; sending resumes at ${resumesAt.toISOString()}`;
      const changed = await this.db.execute(campaignsSql.waitForQuota, [run.campaignId, resumesAt, reason]);
      if (changed > 0) this.logger.log({ campaignId: run.campaignId, resumesAt }, 'campaign.quota_wait');
      return 'quota';
    }
    return this.noSenders(run.campaignId, run.senders);
  }

  private async noSenders(campaignId: string, senders: SendingSender[]): Promise<DeliverEnd> {
    const reasons = senders.map((s) => `${s.name}: ${s.disabledReason ?? 'unavailable'}`).join('; ');
    const reason = `No sender left to send with (${reasons || 'none configured'}); fix or replace them and resume`;
    const paused = await this.db.maybeOne(campaignsSql.transition, [campaignId, ['sending'], reason, 'paused', null]);
    if (paused !== undefined) this.logger.warn({ campaignId, reason }, 'campaign.paused_no_senders');
    return 'no_senders';
  }
}
