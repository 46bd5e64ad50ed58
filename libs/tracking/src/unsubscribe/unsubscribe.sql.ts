/**
 * What an unsubscribe writes besides the suppression, in the transaction
 * that records it. The counters are the ones the event flush keeps
 * (migrations/1764301100000-Tracking.ts), updated one table at a time in the
 * same order as the flush (stats, hourly, domain) so that the two never wait
 * on each other's rows in opposite orders.
 */

/** One `unsubscribe` event: $1 message, $2 campaign, $3 contact, $4 user agent, $5 what was left. */
export const INSERT_EVENT = `
  INSERT INTO events (type, message_id, campaign_id, contact_id, user_agent, detail)
  VALUES ('unsubscribe', $1::bigint, $2::bigint, $3::bigint, $4, $5)`;

/** +1 unsubscribe for campaign $1. */
export const COUNT_CAMPAIGN = `
  INSERT INTO campaign_stats (campaign_id, unsubscribes) VALUES ($1::bigint, 1)
  ON CONFLICT (campaign_id) DO UPDATE SET unsubscribes = campaign_stats.unsubscribes + 1`;

/** +1 unsubscribe for campaign $1 in the current hour. */
export const COUNT_HOUR = `
  INSERT INTO campaign_hourly_stats (campaign_id, hour, unsubscribes) VALUES ($1::bigint, date_trunc('hour', now()), 1)
  ON CONFLICT (campaign_id, hour) DO UPDATE SET unsubscribes = campaign_hourly_stats.unsubscribes + 1`;

/** +1 unsubscribe for campaign $1 at recipient domain $2. */
export const COUNT_DOMAIN = `
  INSERT INTO campaign_domain_stats (campaign_id, domain, unsubscribes) VALUES ($1::bigint, $2, 1)
  ON CONFLICT (campaign_id, domain) DO UPDATE SET unsubscribes = campaign_domain_stats.unsubscribes + 1`;
