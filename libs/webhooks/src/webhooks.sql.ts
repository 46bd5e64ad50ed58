/**
 * The statements of outgoing webhooks. Events are written by producers'
 * transactions (`RECORD_EVENTS`), put into batches by the worker's tick
 * (`BATCH`), and each batch is claimed and its outcome recorded with
 * conditional updates, so N workers behave as one.
 */

/**
 * One row per event and endpoint that wants its type, in the producer's
 * transaction. `FOR KEY SHARE` holds the endpoints found: one deleted
 * meanwhile is skipped rather than failing the producer's foreign key check
 * (a failed write there could cost a recorded send). $1 types, $2 data, $3 times.
 */
export const RECORD_EVENTS = `
  INSERT INTO webhook_events (endpoint_id, type, data, occurred_at)
  SELECT e.id, x.type, x.data, x.occurred_at
  FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS x (type, data, occurred_at)
  JOIN webhook_endpoints e ON e.enabled AND x.type = ANY (e.event_types)
  ORDER BY e.id
  FOR KEY SHARE OF e`;

/** The event types enabled endpoints want, for `OutgoingEventSink.wanted`. */
export const WANTED_TYPES = `SELECT DISTINCT unnest(event_types) AS type FROM webhook_endpoints WHERE enabled`;

/** Endpoints with events not in a batch yet: one index probe per endpoint, however long a backlog. */
export const ENDPOINTS_WITH_NEW_EVENTS = `
  SELECT e.id AS endpoint_id FROM webhook_endpoints e
  WHERE EXISTS (SELECT 1 FROM webhook_events v WHERE v.endpoint_id = e.id AND v.delivery_id IS NULL)
  ORDER BY e.id`;

/**
 * Puts up to $2 of endpoint $1's oldest unbatched events into a new
 * delivery and returns its id (no row when there was none). `SKIP LOCKED`
 * lets two workers' ticks batch at once without taking an event twice.
 */
export const BATCH = `
  WITH picked AS (
    SELECT id FROM webhook_events WHERE endpoint_id = $1 AND delivery_id IS NULL
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
  ), delivery AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_count)
    SELECT $1, count(*) FROM picked HAVING count(*) > 0
    RETURNING id
  ), assigned AS (
    UPDATE webhook_events SET delivery_id = delivery.id FROM delivery WHERE webhook_events.id IN (SELECT id FROM picked)
  )
  SELECT id FROM delivery`;

/**
 * Takes delivery $1 for one attempt: due and pending, or left `sending` by
 * a dead worker for longer than $2 seconds; its endpoint must be enabled.
 * Counts the attempt.
 */
export const CLAIM = `
  UPDATE webhook_deliveries d SET status = 'sending', claimed_at = now(), attempts = d.attempts + 1, updated_at = now()
  FROM webhook_endpoints e
  WHERE d.id = $1 AND e.id = d.endpoint_id AND e.enabled
    AND ((d.status = 'pending' AND d.next_attempt_at <= now())
      OR (d.status = 'sending' AND d.claimed_at < now() - make_interval(secs => $2)))
  RETURNING d.id, d.endpoint_id, d.attempts, e.url, e.secret_sealed`;

/** The events of delivery $1, oldest first. */
export const EVENTS_OF = `
  SELECT id, type, data, occurred_at FROM webhook_events WHERE delivery_id = $1 ORDER BY id`;

/** $1 delivery, $2 status (delivered, pending, failed), $3 HTTP status, $4 error, $5 ms until the next attempt. */
export const RECORD_OUTCOME = `
  UPDATE webhook_deliveries SET status = $2, last_status = $3, last_error = $4,
    next_attempt_at = CASE WHEN $5::float8 IS NULL THEN next_attempt_at ELSE now() + $5::float8 * interval '1 millisecond' END,
    claimed_at = NULL, updated_at = now(),
    delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
  WHERE id = $1 AND status = 'sending'`;

/** The endpoint's latest attempt, for its view. $1 endpoint, $2 HTTP status, $3 error. */
export const ENDPOINT_OUTCOME = `
  UPDATE webhook_endpoints SET last_attempt_at = now(), last_status = $2, last_error = $3 WHERE id = $1`;

/** Deliveries due now (new, retries coming due, a dead worker's), for the tick to add their jobs. $1 lease seconds, $2 limit. */
export const DUE = `
  SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
  WHERE (d.status = 'pending' AND d.next_attempt_at <= now())
     OR (d.status = 'sending' AND d.claimed_at < now() - make_interval(secs => $1))
  ORDER BY d.next_attempt_at LIMIT $2`;

/** Finished deliveries (and their events) older than $1 days go. */
export const PRUNE = `
  DELETE FROM webhook_deliveries WHERE id IN (
    SELECT id FROM webhook_deliveries
    WHERE status IN ('delivered', 'failed') AND updated_at < now() - make_interval(days => $1) LIMIT 1000)`;

/**
 * A test event for endpoint $1 whatever types it wants, in a delivery of
 * its own already claimed by the caller (so no tick takes it first);
 * returns what `CLAIM` returns. $2 data.
 */
export const TEST_DELIVERY = `
  WITH delivery AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_count, status, claimed_at, attempts)
    VALUES ($1, 1, 'sending', now(), 1) RETURNING id, endpoint_id, attempts
  ), event AS (
    INSERT INTO webhook_events (endpoint_id, type, data, occurred_at, delivery_id)
    SELECT $1, 'test', $2::jsonb, now(), id FROM delivery
  )
  SELECT d.id, d.endpoint_id, d.attempts, e.url, e.secret_sealed
  FROM delivery d JOIN webhook_endpoints e ON e.id = d.endpoint_id`;

/** The columns of an endpoint's view. */
export const ENDPOINT_COLUMNS = `id, url, description, event_types, enabled, last_attempt_at, last_status, last_error,
  created_at, updated_at`;

/** A delivery as the log shows it, with the types of its events. */
export const DELIVERY_COLUMNS = `d.id, d.status, d.event_count, d.attempts, d.last_status, d.last_error,
  d.next_attempt_at, d.created_at, d.delivered_at,
  ARRAY(SELECT DISTINCT type FROM webhook_events WHERE delivery_id = d.id ORDER BY type) AS event_types`;
