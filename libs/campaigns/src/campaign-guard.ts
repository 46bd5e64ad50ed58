import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Outbox } from '@herald/delivery';
import { CampaignReports } from '@herald/tracking';
import { Inject, Injectable } from '@nestjs/common';

/** The recent sends a worker judges a campaign's bounce rate on. */
const WINDOW = 1000;
/** How often a sending campaign's report counters are read for its hard bounces and complaints. */
const COUNTERS_CHECK_MS = 10_000;

/** The figures of a campaign's report that its guards judge. */
export interface GuardCounters {
  /** Messages that got a final answer or none: the report's `attempted`. */
  attempted: number;
  /** Refused permanently, by the reply to the send or by a bounce report that came back later. */
  bounced: number;
  /** Accepted by the receiving server and not bounced since. */
  delivered: number;
  complaints: number;
}

const NOTHING: GuardCounters = { attempted: 0, bounced: 0, delivered: 0, complaints: 0 };

interface Window {
  /** 1 where the message bounced hard, 0 where it was accepted; a ring of WINDOW entries. */
  outcomes: Uint8Array;
  next: number;
  filled: number;
  bounced: number;
}

/**
 * Stops a campaign that is hurting its senders' reputation: too many hard
 * bounces among its recent messages (an old or bought list), or too many
 * spam complaints. Mailbox providers judge a sending domain by these rates,
 * and a domain's reputation is worth more than one campaign, so the campaign
 * pauses itself with the reason shown and waits for a person to resume it.
 *
 * The bounce window is per worker process: each worker judges the replies
 * to the messages it sent (with several workers, each sees a fair sample of
 * the campaign), which keeps the check free of shared state on the sending
 * path. Bounces that come back later by mail, and complaints, reach the
 * report's counters instead: those are read every COUNTERS_CHECK_MS, and
 * judged from the campaign's last resume, so that a person who resumed it
 * is not overruled by the figures that paused it.
 */
@Injectable()
export class CampaignGuard {
  private readonly windows = new Map<string, Window>();
  private readonly countersCheckedAt = new Map<string, number>();

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly outbox: Outbox,
    private readonly reports: CampaignReports,
  ) {}

  /** Records one classified send; returns why the campaign must pause, or null. */
  recordSend(campaignId: string, bouncedHard: boolean): string | null {
    let w = this.windows.get(campaignId);
    if (w === undefined) {
      w = { outcomes: new Uint8Array(WINDOW), next: 0, filled: 0, bounced: 0 };
      this.windows.set(campaignId, w);
    }
    if (w.filled === WINDOW) w.bounced -= w.outcomes[w.next];
    else w.filled += 1;
    w.outcomes[w.next] = bouncedHard ? 1 : 0;
    w.bounced += w.outcomes[w.next];
    w.next = (w.next + 1) % WINDOW;

    const limit = this.config.HERALD_BOUNCE_GUARD_PERCENT;
    const percent = (100 * w.bounced) / w.filled;
    if (w.filled < this.config.HERALD_BOUNCE_GUARD_MIN_SENDS || limit >= 100 || percent <= limit) return null;
    // After a resume the campaign is judged afresh on its next messages.
    this.windows.delete(campaignId);
    return (
      `Paused automatically: ${w.bounced} of the last ${w.filled} messages bounced (${percent.toFixed(1)} %, ` +
      `limit ${limit} %). Clean the audience of invalid addresses before resuming.`
    );
  }

  /** The campaign's figures as its report shows them now. */
  async counters(campaignId: string): Promise<GuardCounters> {
    const [counts, complaints] = await Promise.all([
      this.outbox.counts(campaignId),
      this.reports.complaints(campaignId),
    ]);
    return {
      attempted: counts.sent + counts.bounced + counts.failed + counts.uncertain,
      bounced: counts.bounced,
      delivered: counts.sent,
      complaints,
    };
  }

  /**
   * At most every COUNTERS_CHECK_MS per campaign: why the campaign must
   * pause for the hard bounces or complaints its report counted since
   * `since` (its figures when it was last resumed; null: since the start),
   * or null.
   */
  async countersReason(campaignId: string, since: GuardCounters | null): Promise<string | null> {
    const off = this.config.HERALD_BOUNCE_GUARD_PERCENT >= 100 && this.config.HERALD_COMPLAINT_GUARD_PERCENT >= 100;
    const last = this.countersCheckedAt.get(campaignId) ?? 0;
    if (off || Date.now() - last < COUNTERS_CHECK_MS) return null;
    this.countersCheckedAt.set(campaignId, Date.now());
    return this.judge(await this.counters(campaignId), since ?? NOTHING);
  }

  /**
   * Hard bounces of the messages attempted, and complaints of those
   * delivered, counted from `since` to `now`; each judged once at least
   * HERALD_BOUNCE_GUARD_MIN_SENDS messages were attempted or delivered.
   */
  judge(now: GuardCounters, since: GuardCounters): string | null {
    const minSends = this.config.HERALD_BOUNCE_GUARD_MIN_SENDS;
    const bounceLimit = this.config.HERALD_BOUNCE_GUARD_PERCENT;
    const attempted = now.attempted - since.attempted;
    const bounced = now.bounced - since.bounced;
    if (bounceLimit < 100 && attempted >= minSends && (100 * bounced) / attempted > bounceLimit) {
      return (
        `Paused automatically: ${bounced} of ${attempted} messages bounced hard, counting bounce reports ` +
        `that came back after sending (${((100 * bounced) / attempted).toFixed(1)} %, limit ${bounceLimit} %). ` +
        `Clean the audience of invalid addresses before resuming.`
      );
    }
    const complaintLimit = this.config.HERALD_COMPLAINT_GUARD_PERCENT;
    const complaints = now.complaints - since.complaints;
    const delivered = now.delivered - since.delivered;
    if (complaintLimit < 100 && delivered >= minSends) {
      const percent = (100 * complaints) / delivered;
      if (percent > complaintLimit) {
        return (
          `Paused automatically: ${complaints} spam complaints for ${delivered} delivered messages ` +
          `(${percent.toFixed(2)} %, limit ${complaintLimit} %). Check who is on the audience and how they signed up before resuming.`
        );
      }
    }
    return null;
  }

  /** Forgets a campaign that stopped sending in this process. */
  forget(campaignId: string): void {
    this.windows.delete(campaignId);
    this.countersCheckedAt.delete(campaignId);
  }
}
