/**
 * What a bounce or a complaint reported by mail writes in tracking's
 * tables, in the transaction of the caller that matched the report to its
 * message (libs/inbound). Campaign counters are updated in the same order
 * as the event flush and unsubscribes (stats first).
 */

/** One `bounce` or `complaint` event: $1 type, $2 message, $3 campaign, $4 contact, $5 detail. */
export const INSERT_FEEDBACK_EVENT = `
  INSERT INTO events (type, message_id, campaign_id, contact_id, detail)
  VALUES ($1, $2::bigint, $3::bigint, $4::bigint, $5)`;

/** +1 complaint for campaign $1: what its report shows and its complaint guard watches. */
export const COUNT_COMPLAINT = `
  INSERT INTO campaign_stats (campaign_id, complaints) VALUES ($1::bigint, 1)
  ON CONFLICT (campaign_id) DO UPDATE SET complaints = campaign_stats.complaints + 1`;
