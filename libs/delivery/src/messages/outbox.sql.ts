/**
 * Every statement on `messages` (owned by delivery). A row moves
 * queued -> sending (claim) -> sent | deferred | failed | bounced | uncertain | skipped,
 * or back to queued (release, reclaim). Every move out of `sending` is
 * conditional on the row still being `sending`, so a worker whose row was
 * reclaimed meanwhile learns it from the row count instead of overwriting.
 */

/** Columns a claimed message carries to the sending loop. */
const CLAIMED = 'id, contact_id, email, attempts, created_at, is_test';

/**
 * The audience snapshot: one row per recipient of `selectSql` (columns `id`,
 * `email`), whose parameters are $1..$n; the campaign id is the parameter
 * after them. The unique index on (campaign_id, contact_id) makes a repeated
 * snapshot insert nothing.
 */
export const snapshotSql = (selectSql: string, campaignParam: number) => `
  INSERT INTO messages (campaign_id, contact_id, email)
  SELECT $${campaignParam}::bigint, r.id, r.email
  FROM (${selectSql}) AS r
  ORDER BY r.id
  ON CONFLICT DO NOTHING`;

/** Test sends: addresses that need not be contacts, in the order given. */
export const ADD_TESTS = `
  INSERT INTO messages (campaign_id, email, is_test)
  SELECT $1, e.email, true FROM unnest($2::text[]) WITH ORDINALITY AS e (email, n)
  ORDER BY e.n
  RETURNING id`;

/**
 * The next sendable rows of a campaign, locked so that concurrent claimers
 * skip each other's rows; the outer status test re-checks a row whose lock
 * was waited for. `attempts` counts this attempt.
 */
export const CLAIM = `
  UPDATE messages m
  SET status = 'sending', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
  WHERE m.id IN (
    SELECT id FROM messages
    WHERE campaign_id = $1 AND status IN ('queued', 'deferred') AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ) AND m.status IN ('queued', 'deferred')
  RETURNING ${CLAIMED}`;

/**
 * Outcome updates commit without waiting for the WAL flush: one fsync per
 * message would cap a campaign at the disk's flush rate (~200 a second on
 * an ordinary disk). A worker that dies loses nothing this way: the commit
 * is already in Postgres. Only a crash of Postgres itself can forget the
 * last fraction of a second of outcomes (wal_writer_delay, 3 x 200 ms at
 * most), and those rows are then reclaimed and counted as possible
 * duplicates. The setting is local to the statement's own transaction, and
 * the FROM makes Postgres evaluate it.
 */
const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`;

/** Accepted by the server; `sent_at` also feeds a sender's daily count. */
export const MARK_SENT = `
  UPDATE messages SET status = 'sent', sender_id = $2, last_reply = $3, sent_at = now(), claimed_at = NULL, updated_at = now()
  FROM ${ASYNC_COMMIT}
  WHERE id = $1 AND status = 'sending'`;

/** A temporary failure: tried again at $4; the sender stays null when none was reached. */
export const MARK_DEFERRED = `
  UPDATE messages SET status = 'deferred', sender_id = COALESCE($2, sender_id), last_reply = $3,
    next_attempt_at = $4, claimed_at = NULL, updated_at = now()
  FROM ${ASYNC_COMMIT}
  WHERE id = $1 AND status = 'sending'`;

/** Deferred for too long: a final soft bounce. */
export const MARK_FAILED = `
  UPDATE messages SET status = 'failed', last_reply = $2, claimed_at = NULL, updated_at = now()
  WHERE id = $1 AND status = 'sending'`;

/** What an outcome statement returns when its event is published (`Outbox.markPublished`). */
export const OUTCOME_COLUMNS = 'id, campaign_id, contact_id, email, is_test, updated_at';
export interface OutcomeRow {
  id: string;
  campaign_id: string | null;
  contact_id: string | null;
  email: string;
  is_test: boolean;
  updated_at: Date;
}

export const MARK_BOUNCED = `
  UPDATE messages SET status = 'bounced', sender_id = $2, last_reply = $3, claimed_at = NULL, updated_at = now()
  WHERE id = $1 AND status = 'sending'`;

/** The data went out but no reply came: probably delivered, so it counts toward the sender's day like a sent one. */
export const MARK_UNCERTAIN = `
  UPDATE messages SET status = 'uncertain', sender_id = $2, last_reply = $3, sent_at = now(), claimed_at = NULL,
    updated_at = now()
  FROM ${ASYNC_COMMIT}
  WHERE id = $1 AND status = 'sending'`;

export const MARK_SKIPPED = `
  UPDATE messages SET status = 'skipped', last_reply = $2, claimed_at = NULL, updated_at = now()
  WHERE id = ANY($1::bigint[]) AND status = 'sending'`;

/** A cancelled campaign's rows that were never attempted, or are waiting to be tried again: they never will be. */
export const SKIP_UNSENT = `
  UPDATE messages SET status = 'skipped', last_reply = $2, claimed_at = NULL, updated_at = now()
  WHERE campaign_id = $1 AND status IN ('queued', 'deferred') AND NOT is_test`;

/** Claimed but not attempted: back to the queue, and the attempt the claim counted is taken back. */
export const RELEASE = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, attempts = greatest(attempts - 1, 0), updated_at = now()
  WHERE id = ANY($1::bigint[]) AND status = 'sending'`;

/**
 * Rows a dead worker left `sending`. Whether their SMTP transaction
 * happened is unknown, so the attempt stays counted and `reclaimed` marks
 * them as possible duplicates.
 */
export const RECLAIM_STALE = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, reclaimed = reclaimed + 1, updated_at = now()
  WHERE campaign_id = $1 AND status = 'sending' AND claimed_at < now() - $2 * interval '1 millisecond'`;

/** A campaign's rows by status, test sends excluded; `reclaimed` counts rows that may have gone out twice. */
export const COUNTS = `
  SELECT status, count(*)::int AS n, count(*) FILTER (WHERE reclaimed > 0)::int AS reclaimed
  FROM messages WHERE campaign_id = $1 AND NOT is_test
  GROUP BY status`;

export const NEXT_ATTEMPT_AT = `
  SELECT min(next_attempt_at) AS at FROM messages
  WHERE campaign_id = $1 AND status IN ('queued', 'deferred')`;

/** What a sender has handed over since an instant (its local midnight): rebuilds the daily counter. */
export const SENT_SINCE = `
  SELECT count(*)::int AS n FROM messages WHERE sender_id = $1 AND sent_at >= $2`;

/** Messages by id, as tracking looks them up from a token. */
export const FIND = `
  SELECT id, campaign_id, contact_id, email, is_test, sender_id, sent_at
  FROM messages WHERE id = ANY($1::bigint[])`;

/**
 * A campaign's outcomes by recipient domain, the domains with the most
 * deliveries first (test sends excluded). Reads each of the campaign's rows
 * (through `messages_campaign_status_idx`): measured by `npm run bench:report`.
 */
export const COUNTS_BY_DOMAIN = `
  SELECT lower(reverse(split_part(reverse(email), '@', 1))) AS domain,
    count(*) FILTER (WHERE status = 'sent')::int AS delivered,
    count(*) FILTER (WHERE status = 'bounced')::int AS bounced,
    count(*) FILTER (WHERE status = 'failed')::int AS failed
  FROM messages WHERE campaign_id = $1 AND NOT is_test AND status IN ('sent', 'bounced', 'failed')
  GROUP BY 1 ORDER BY delivered DESC, 1 LIMIT $2`;

/*
 * Single messages: rows without a campaign (the relay's and the
 * transactional API's, one per recipient), claimed one by one by id.
 */

/** Queued rows for `emails`, in their order; their ids come back in that order. */
export const ADD_SINGLES = `
  INSERT INTO messages (email)
  SELECT e.email FROM unnest($1::text[]) WITH ORDINALITY AS e (email, n)
  ORDER BY e.n
  RETURNING id`;

/** One single message, if it is due and no worker holds it; `attempts` counts this attempt. */
export const CLAIM_SINGLE = `
  UPDATE messages
  SET status = 'sending', claimed_at = now(), attempts = attempts + 1, updated_at = now()
  WHERE id = $1 AND campaign_id IS NULL AND status IN ('queued', 'deferred') AND next_attempt_at <= now()
  RETURNING ${CLAIMED}`;

/** Claimed but not attempted (a spent quota, a shutdown): queued again for $2, the attempt taken back. */
export const POSTPONE = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, attempts = greatest(attempts - 1, 0),
    next_attempt_at = $2, last_reply = COALESCE($3, last_reply), updated_at = now()
  WHERE id = $1 AND status = 'sending'`;

/** Single messages a dead worker left `sending`: queued again and counted as possible duplicates. */
export const RECLAIM_STALE_SINGLES = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, reclaimed = reclaimed + 1, updated_at = now()
  WHERE campaign_id IS NULL AND status = 'sending' AND claimed_at < now() - $1 * interval '1 millisecond'`;

/** Single messages due for an attempt, oldest due first. */
export const DUE_SINGLES = `
  SELECT id FROM messages
  WHERE campaign_id IS NULL AND status IN ('queued', 'deferred') AND next_attempt_at <= now()
  ORDER BY next_attempt_at, id
  LIMIT $1`;

/** Single messages by id with their delivery state, for listing. */
export const SINGLE_STATES = `
  SELECT id, email, status, attempts, last_reply, next_attempt_at, sent_at, updated_at
  FROM messages WHERE id = ANY($1::bigint[]) AND campaign_id IS NULL`;
