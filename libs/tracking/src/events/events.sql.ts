/**
 * The statements of one ingestion batch, all run in one transaction. Each
 * takes whole arrays (`unnest`), so a batch costs the same number of round
 * trips whatever its size. Rows are fed in key order so that two api
 * processes flushing at once lock counter rows in the same order and never
 * deadlock each other.
 */

/** $1 types, $2 message ids, $3 campaign ids, $4 contact ids, $5 link indexes, $6 machine, $7 reasons, $8 user agents, $9 times. */
export const INSERT_EVENTS = `
  INSERT INTO events (type, message_id, campaign_id, contact_id, link_index, machine, machine_reason, user_agent, occurred_at)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::int[], $6::boolean[], $7::text[],
    $8::text[], $9::timestamptz[])`;

/**
 * Records a first open or click of messages (one column per statement) and
 * returns exactly the messages for which it was the first: the row is
 * created, or the column was still empty. The `WHERE` of `DO UPDATE` is
 * evaluated on the locked, latest row, so two processes recording the same
 * first at once count it once. $1 message ids, $2 campaign ids, $3 contact
 * ids, $4 times.
 */
export const firstOfMessage = (
  column: 'first_open_at' | 'first_human_open_at' | 'first_click_at' | 'first_human_click_at',
) => `
  INSERT INTO message_engagement AS m (message_id, campaign_id, contact_id, ${column})
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[]) ORDER BY 1
  ON CONFLICT (message_id) DO UPDATE SET ${column} = EXCLUDED.${column} WHERE m.${column} IS NULL
  RETURNING message_id`;

/** As `firstOfMessage`, per message and link. $1 message ids, $2 link indexes, $3 times. */
export const firstOfLink = (column: 'first_click_at' | 'first_human_click_at') => `
  INSERT INTO link_engagement AS l (message_id, link_index, ${column})
  SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[]) ORDER BY 1, 2
  ON CONFLICT (message_id, link_index) DO UPDATE SET ${column} = EXCLUDED.${column} WHERE l.${column} IS NULL
  RETURNING message_id, link_index`;

/** Adds to each campaign's totals. $1 campaign ids, then one bigint[] per counter in the order of the column list. */
export const ADD_CAMPAIGN_STATS = `
  INSERT INTO campaign_stats AS s (campaign_id, opens, human_opens, unique_opens, unique_human_opens,
    clicks, human_clicks, unique_clicks, unique_human_clicks)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
    $7::bigint[], $8::bigint[], $9::bigint[]) ORDER BY 1
  ON CONFLICT (campaign_id) DO UPDATE SET
    opens = s.opens + EXCLUDED.opens,
    human_opens = s.human_opens + EXCLUDED.human_opens,
    unique_opens = s.unique_opens + EXCLUDED.unique_opens,
    unique_human_opens = s.unique_human_opens + EXCLUDED.unique_human_opens,
    clicks = s.clicks + EXCLUDED.clicks,
    human_clicks = s.human_clicks + EXCLUDED.human_clicks,
    unique_clicks = s.unique_clicks + EXCLUDED.unique_clicks,
    unique_human_clicks = s.unique_human_clicks + EXCLUDED.unique_human_clicks`;

/** $1 campaign ids, $2 link indexes, $3 clicks, $4 human clicks, $5 unique, $6 unique human. */
export const ADD_LINK_STATS = `
  INSERT INTO campaign_link_stats AS s (campaign_id, link_index, clicks, human_clicks, unique_clicks, unique_human_clicks)
  SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) ORDER BY 1, 2
  ON CONFLICT (campaign_id, link_index) DO UPDATE SET
    clicks = s.clicks + EXCLUDED.clicks,
    human_clicks = s.human_clicks + EXCLUDED.human_clicks,
    unique_clicks = s.unique_clicks + EXCLUDED.unique_clicks,
    unique_human_clicks = s.unique_human_clicks + EXCLUDED.unique_human_clicks`;

/** $1 campaign ids, $2 hours, $3 opens, $4 human opens, $5 clicks, $6 human clicks. */
export const ADD_HOURLY_STATS = `
  INSERT INTO campaign_hourly_stats AS s (campaign_id, hour, opens, human_opens, clicks, human_clicks)
  SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
  ORDER BY 1, 2
  ON CONFLICT (campaign_id, hour) DO UPDATE SET
    opens = s.opens + EXCLUDED.opens,
    human_opens = s.human_opens + EXCLUDED.human_opens,
    clicks = s.clicks + EXCLUDED.clicks,
    human_clicks = s.human_clicks + EXCLUDED.human_clicks`;

/** $1 campaign ids, $2 domains, $3 unique opens, $4 unique human opens, $5 unique clicks, $6 unique human clicks. */
export const ADD_DOMAIN_STATS = `
  INSERT INTO campaign_domain_stats AS s (campaign_id, domain, unique_opens, unique_human_opens, unique_clicks,
    unique_human_clicks)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) ORDER BY 1, 2
  ON CONFLICT (campaign_id, domain) DO UPDATE SET
    unique_opens = s.unique_opens + EXCLUDED.unique_opens,
    unique_human_opens = s.unique_human_opens + EXCLUDED.unique_human_opens,
    unique_clicks = s.unique_clicks + EXCLUDED.unique_clicks,
    unique_human_clicks = s.unique_human_clicks + EXCLUDED.unique_human_clicks`;
