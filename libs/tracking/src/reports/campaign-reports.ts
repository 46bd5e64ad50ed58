import { Db } from '@herald/common';
import { Injectable } from '@nestjs/common';
import * as q from './reports.sql.js';

/** What the delivery side says about a campaign; campaigns reads it from delivery's `Outbox`. */
export interface DeliveryFigures {
  /** Accepted by the receiving server (`sent`). */
  delivered: number;
  /** Refused permanently (`bounced`). */
  hardBounces: number;
  /** Deferred until the retry age ran out (`failed`). */
  softBounces: number;
  /** Every message that got a final answer or none: delivered, bounced, failed, uncertain. */
  attempted: number;
  /** The domains with the most deliveries, in that order. */
  domains: { domain: string; delivered: number; bounced: number; failed: number }[];
}

/** A count and its share (0 to 1, or above for repeated opens), null when there is nothing to divide by. */
export interface Figure {
  count: number;
  rate: number | null;
}

/** Everything, and what people (not machines) did. */
export interface HumanAndTotal {
  total: Figure;
  human: Figure;
}

export interface Pair {
  total: number;
  human: number;
}

export interface LinkFigures {
  index: number;
  clicks: Pair;
  uniqueClicks: Pair;
}

export interface HourFigures {
  /** The start of the hour, UTC. */
  hour: string;
  opens: Pair;
  clicks: Pair;
  unsubscribes: number;
}

export interface DomainFigures {
  domain: string;
  delivered: number;
  bounced: number;
  failed: number;
  uniqueOpens: HumanAndTotal;
  uniqueClicks: HumanAndTotal;
  unsubscribes: Figure;
}

export interface EngagementReport {
  opens: HumanAndTotal;
  uniqueOpens: HumanAndTotal;
  clicks: HumanAndTotal;
  uniqueClicks: HumanAndTotal;
  /** Unique clicks per unique open; null before the first open. */
  clickToOpenRate: { total: number | null; human: number | null };
  unsubscribes: Figure;
  complaints: Figure;
  bounces: { hard: Figure; soft: Figure };
  links: LinkFigures[];
  hourly: HourFigures[];
  domains: DomainFigures[];
}

type Counter = string | number;

interface StatsRow {
  opens: Counter;
  human_opens: Counter;
  unique_opens: Counter;
  unique_human_opens: Counter;
  clicks: Counter;
  human_clicks: Counter;
  unique_clicks: Counter;
  unique_human_clicks: Counter;
  unsubscribes: Counter;
  complaints: Counter;
}

const ZERO: StatsRow = {
  opens: 0,
  human_opens: 0,
  unique_opens: 0,
  unique_human_opens: 0,
  clicks: 0,
  human_clicks: 0,
  unique_clicks: 0,
  unique_human_clicks: 0,
  unsubscribes: 0,
  complaints: 0,
};

/** `count / of`, to four places; null when `of` is 0. */
export const rate = (count: number, of: number): number | null =>
  of === 0 ? null : Math.round((count / of) * 10_000) / 10_000;

const figure = (count: Counter, of: number): Figure => ({ count: Number(count), rate: rate(Number(count), of) });
const humanAndTotal = (total: Counter, human: Counter, of: number): HumanAndTotal => ({
  total: figure(total, of),
  human: figure(human, of),
});
const pair = (total: Counter, human: Counter): Pair => ({ total: Number(total), human: Number(human) });

/**
 * Campaign reports from the counters ingestion keeps (never from events).
 * Rates are of delivered messages, except bounces, which are of attempted
 * messages (a bounced message was by definition not delivered). Domain
 * rates are of that domain's deliveries.
 */
@Injectable()
export class CampaignReports {
  constructor(private readonly db: Db) {}

  /** Spam complaints recorded for the campaign so far: what its complaint guard watches. */
  async complaints(campaignId: string): Promise<number> {
    const row = await this.db.maybeOne<{ complaints: string }>(q.CAMPAIGN_STATS, [campaignId]);
    return Number(row?.complaints ?? 0);
  }

  async engagement(campaignId: string, delivery: DeliveryFigures): Promise<EngagementReport> {
    const domainNames = delivery.domains.map((d) => d.domain);
    const [stats, links, hours, domains] = await Promise.all([
      this.db.maybeOne<StatsRow>(q.CAMPAIGN_STATS, [campaignId]),
      this.db.rows<StatsRow & { link_index: number }>(q.LINK_STATS, [campaignId]),
      this.db.rows<StatsRow & { hour: Date }>(q.HOURLY_STATS, [campaignId]),
      domainNames.length === 0
        ? Promise.resolve([])
        : this.db.rows<StatsRow & { domain: string }>(q.DOMAIN_STATS, [campaignId, domainNames]),
    ]);
    const s = stats ?? ZERO;
    const delivered = delivery.delivered;
    const byDomain = new Map(domains.map((d) => [d.domain, d]));
    return {
      opens: humanAndTotal(s.opens, s.human_opens, delivered),
      uniqueOpens: humanAndTotal(s.unique_opens, s.unique_human_opens, delivered),
      clicks: humanAndTotal(s.clicks, s.human_clicks, delivered),
      uniqueClicks: humanAndTotal(s.unique_clicks, s.unique_human_clicks, delivered),
      clickToOpenRate: {
        total: rate(Number(s.unique_clicks), Number(s.unique_opens)),
        human: rate(Number(s.unique_human_clicks), Number(s.unique_human_opens)),
      },
      unsubscribes: figure(s.unsubscribes, delivered),
      complaints: figure(s.complaints, delivered),
      bounces: {
        hard: figure(delivery.hardBounces, delivery.attempted),
        soft: figure(delivery.softBounces, delivery.attempted),
      },
      links: links.map((l) => ({
        index: l.link_index,
        clicks: pair(l.clicks, l.human_clicks),
        uniqueClicks: pair(l.unique_clicks, l.unique_human_clicks),
      })),
      hourly: hours.map((h) => ({
        hour: h.hour.toISOString(),
        opens: pair(h.opens, h.human_opens),
        clicks: pair(h.clicks, h.human_clicks),
        unsubscribes: Number(h.unsubscribes),
      })),
      domains: delivery.domains.map((d) => {
        const row = byDomain.get(d.domain) ?? ZERO;
        return {
          ...d,
          uniqueOpens: humanAndTotal(row.unique_opens, row.unique_human_opens, d.delivered),
          uniqueClicks: humanAndTotal(row.unique_clicks, row.unique_human_clicks, d.delivered),
          unsubscribes: figure(row.unsubscribes, d.delivered),
        };
      }),
    };
  }
}
