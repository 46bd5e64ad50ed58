/**
 * A report reads counters only, each by its primary key or a prefix of it:
 * its cost grows with the campaign's links, hours and domains, never with
 * its recipients or events.
 */

export const CAMPAIGN_STATS = `
  SELECT opens, human_opens, unique_opens, unique_human_opens, clicks, human_clicks, unique_clicks,
    unique_human_clicks, unsubscribes, complaints
  FROM campaign_stats WHERE campaign_id = $1`;

export const LINK_STATS = `
  SELECT link_index, clicks, human_clicks, unique_clicks, unique_human_clicks
  FROM campaign_link_stats WHERE campaign_id = $1 ORDER BY link_index`;

export const HOURLY_STATS = `
  SELECT hour, opens, human_opens, clicks, human_clicks, unsubscribes
  FROM campaign_hourly_stats WHERE campaign_id = $1 ORDER BY hour`;

/** $2: the domains to show (those with the most deliveries). */
export const DOMAIN_STATS = `
  SELECT domain, unique_opens, unique_human_opens, unique_clicks, unique_human_clicks, unsubscribes
  FROM campaign_domain_stats WHERE campaign_id = $1 AND domain = ANY($2::text[])`;
