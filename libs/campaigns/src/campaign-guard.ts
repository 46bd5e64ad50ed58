import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { CampaignReports } from '@herald/tracking';
import { Inject, Injectable } from '@nestjs/common';

/** The recent sends a worker judges a campaign's bounce rate on. */
const WINDOW = 1000;
/** How often a sending campaign's complaints are read from tracking's counters. */
const COMPLAINT_CHECK_MS = 10_000;

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
 * The bounce window is per worker process: each worker judges the messages
 * it sent (with several workers, each sees a fair sample of the campaign),
 * which keeps the check free of shared state on the sending path.
 */
@Injectable()
export class CampaignGuard {
  private readonly windows = new Map<string, Window>();
  private readonly complaintsCheckedAt = new Map<string, number>();

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
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

  /**
   * At most every COMPLAINT_CHECK_MS per campaign: why the campaign must
   * pause for its complaints, or null. `delivered` is read only when a
   * check is due and there are complaints at all.
   */
  async complaintReason(campaignId: string, delivered: () => Promise<number>): Promise<string | null> {
    const limit = this.config.HERALD_COMPLAINT_GUARD_PERCENT;
    const last = this.complaintsCheckedAt.get(campaignId) ?? 0;
    if (limit >= 100 || Date.now() - last < COMPLAINT_CHECK_MS) return null;
    this.complaintsCheckedAt.set(campaignId, Date.now());
    const complaints = await this.reports.complaints(campaignId);
    if (complaints === 0) return null;
    const sent = await delivered();
    if (sent < this.config.HERALD_BOUNCE_GUARD_MIN_SENDS) return null;
    const percent = (100 * complaints) / sent;
    if (percent <= limit) return null;
    return (
      `Paused automatically: ${complaints} spam complaints for ${sent} delivered messages ` +
      `(${percent.toFixed(2)} %, limit ${limit} %). Check who is on the audience and how they signed up before resuming.`
    );
  }

  /** Forgets a campaign that stopped sending in this process. */
  forget(campaignId: string): void {
    this.windows.delete(campaignId);
    this.complaintsCheckedAt.delete(campaignId);
  }
}
