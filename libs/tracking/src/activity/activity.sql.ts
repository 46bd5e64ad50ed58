/**
 * What recipients did with given messages, for the per-recipient export and
 * a contact's history. Both look messages up by id: `message_engagement`
 * by its key, `events` through `events_message_idx`.
 */

/** $1: message ids. First opens and clicks (all and human) and the first unsubscribe of each, all null when nothing happened. */
export const FIRSTS = `
  SELECT m.id AS message_id, e.first_open_at, e.first_human_open_at, e.first_click_at, e.first_human_click_at,
    (SELECT min(u.occurred_at) FROM events u WHERE u.message_id = m.id AND u.type = 'unsubscribe') AS unsubscribed_at
  FROM unnest($1::bigint[]) AS m (id)
  LEFT JOIN message_engagement e ON e.message_id = m.id`;

/** $1: message ids, $2: events per message. The newest events of each message, newest first. */
export const EVENTS = `
  SELECT x.id, x.message_id, x.type, x.link_index, x.machine, x.machine_reason, x.occurred_at
  FROM unnest($1::bigint[]) AS m (id)
  CROSS JOIN LATERAL (
    SELECT id, message_id, type, link_index, machine, machine_reason, occurred_at FROM events
    WHERE message_id = m.id ORDER BY occurred_at DESC, id DESC LIMIT $2
  ) AS x
  ORDER BY x.occurred_at DESC, x.id DESC`;

/**
 * $1: message ids. Opens and clicks of each message that has any, all and
 * by people, counted from its events: for messages of no campaign, which
 * have no counters (a handful of events each).
 */
export const COUNTS = `
  SELECT message_id,
    count(*) FILTER (WHERE type = 'open')::int AS opens,
    count(*) FILTER (WHERE type = 'open' AND NOT machine)::int AS human_opens,
    count(*) FILTER (WHERE type = 'click')::int AS clicks,
    count(*) FILTER (WHERE type = 'click' AND NOT machine)::int AS human_clicks
  FROM events WHERE message_id = ANY($1::bigint[]) AND type IN ('open', 'click')
  GROUP BY message_id`;
