import { prepared } from '@herald/common';

/**
 * Every statement on `messages` (owned by delivery). A row moves
 * queued -> sending (claim) -> sent | deferred | failed | bounced | uncertain | skipped,
 * or back to queued (release, reclaim). Every move out of `sending` is
 * conditional on the row still being `sending`, so a worker whose row was
 * reclaimed meanwhile learns it from the row count instead of overwriting.
 *
 * Every statement that adds campaign rows or changes their status also
 * counts the change, in the same statement (`counted`, `outcome`):
 * `message_counts` by status and `message_domain_counts` by recipient
 * domain, which reports and the end-of-campaign check read instead of the
 * rows. So nothing else
 * may change a status; the counters stay exact because no statement here
 * forgets to count (outbox.spec.ts compares them with the rows).
 */

/** The statuses a row can have; the counters have a column of each name. */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'sent',
  'deferred',
  'failed',
  'bounced',
  'uncertain',
  'skipped',
] as const;

/** Counter rows per campaign (and domain): each connection adds to its own, so concurrent writers never wait on one. */
const SHARD = `(pg_backend_pid() % 16)::smallint`;

/**
 * `changeSql` with its change counted, for statements over many rows: one
 * aggregated upsert, whatever their number. `changeSql` is an INSERT or
 * UPDATE on `messages` returning `campaign_id, is_test, email, was, now,
 * first_reclaim` (`was` null for a new row; `first_reclaim` true when the
 * row was reclaimed for the first time) and whatever `select` (a select
 * list over the changed rows, aggregates allowed) needs; the statement
 * returns `select`. None of these statements moves a row into or out of
 * sent, bounced or failed, so the per-domain counters are not theirs to
 * change: only the outcomes of single attempts reach those statuses.
 */
function counted(changeSql: string, select: string): string {
  const deltas = MESSAGE_STATUSES.map(
    (s) => `count(*) FILTER (WHERE now = '${s}') - count(*) FILTER (WHERE was IS NOT DISTINCT FROM '${s}') AS ${s}`,
  );
  const columns = [...MESSAGE_STATUSES, 'reclaimed'];
  return `
  WITH changed AS (${changeSql}),
  by_status AS (
    INSERT INTO message_counts AS t (campaign_id, shard, ${columns.join(', ')})
    SELECT campaign_id, ${SHARD}, ${deltas.join(', ')}, count(*) FILTER (WHERE first_reclaim) AS reclaimed
    FROM changed WHERE campaign_id IS NOT NULL AND NOT is_test
    GROUP BY campaign_id ORDER BY campaign_id
    ON CONFLICT (campaign_id, shard) DO UPDATE SET ${columns.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ')}
  )
  SELECT ${select} FROM changed`;
}

/** What `counted` needs of a row that left status `was` (a literal or a column) for its status now. */
const changeColumns = (was: string, firstReclaim = 'false') =>
  `m.campaign_id, m.is_test, m.email, ${was} AS was, m.status AS now, ${firstReclaim} AS first_reclaim`;

/** Columns a claimed message carries to the sending loop. */
const CLAIMED = 'id, contact_id, email, attempts, created_at, is_test';

/**
 * The audience snapshot: one row per recipient of `selectSql` (columns `id`,
 * `email`), whose parameters are $1..$n; the campaign id is the parameter
 * after them. The unique index on (campaign_id, contact_id) makes a repeated
 * snapshot insert nothing. Returns `n`, the rows inserted.
 */
export const snapshotSql = (selectSql: string, campaignParam: number) =>
  counted(
    `INSERT INTO messages AS m (campaign_id, contact_id, email)
    SELECT $${campaignParam}::bigint, r.id, r.email
    FROM (${selectSql}) AS r
    ORDER BY r.id
    ON CONFLICT DO NOTHING
    RETURNING ${changeColumns('NULL::text')}`,
    'count(*)::int AS n',
  );

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
export const CLAIM = prepared(
  counted(
    `UPDATE messages m
  SET status = 'sending', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
  FROM (
    SELECT id, status FROM messages
    WHERE campaign_id = $1 AND status IN ('queued', 'deferred') AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ) AS due
  WHERE m.id = due.id AND m.status IN ('queued', 'deferred')
  RETURNING m.id, m.contact_id, m.attempts, m.created_at, ${changeColumns('due.status')}`,
    CLAIMED,
  ),
);

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

/**
 * The outcome of one attempt: `sets` on row $1 if it is still `sending`,
 * counted by `count_message_outcome` (migration MessageCounts), whose plans
 * the connection keeps; the row count says whether it applied, and the row
 * comes back with what its event needs when one is published.
 */
const outcome = (sets: string, asyncCommit: boolean) =>
  prepared(`
  UPDATE messages m SET ${sets}
  ${asyncCommit ? `FROM ${ASYNC_COMMIT}` : ''}
  WHERE m.id = $1 AND m.status = 'sending'
  RETURNING count_message_outcome(m.campaign_id, m.is_test, m.email, m.status) AS counted,
    ${OUTCOME_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ')}`);

/** Accepted by the server; `sent_at` also feeds a sender's daily count. */
export const MARK_SENT = outcome(
  `status = 'sent', sender_id = $2, last_reply = $3, sent_at = now(), claimed_at = NULL, updated_at = now()`,
  true,
);

/** `MARK_SENT` for many rows: ids $1, senders $2 and replies $3, in step. */
export const MARK_SENT_MANY = prepared(`
  UPDATE messages m
  SET status = 'sent', sender_id = v.sender_id, last_reply = v.reply, sent_at = now(), claimed_at = NULL,
    updated_at = now()
  FROM ${ASYNC_COMMIT}, unnest($1::bigint[], $2::bigint[], $3::text[]) AS v (id, sender_id, reply)
  WHERE m.id = v.id AND m.status = 'sending'
  RETURNING count_message_outcome(m.campaign_id, m.is_test, m.email, m.status) AS counted,
    ${OUTCOME_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ')}`);

/** A temporary failure: tried again at $4; the sender stays null when none was reached. */
export const MARK_DEFERRED = outcome(
  `status = 'deferred', sender_id = COALESCE($2, m.sender_id), last_reply = $3,
    next_attempt_at = $4, claimed_at = NULL, updated_at = now()`,
  true,
);

/** Deferred for too long: a final soft bounce. */
export const MARK_FAILED = outcome(`status = 'failed', last_reply = $2, claimed_at = NULL, updated_at = now()`, false);

export const MARK_BOUNCED = outcome(
  `status = 'bounced', sender_id = $2, last_reply = $3, claimed_at = NULL, updated_at = now()`,
  false,
);

/**
 * A bounce that came back after the receiving server had taken the message
 * (a delivery status notification to its VERP return path): `sent` or
 * `uncertain` becomes `bounced`, with the notification's status as its
 * reply; any other status stays (a bounce at send time is recorded
 * already). Counted here like every other change: the status the row left
 * and `bounced` in `message_counts`, and by domain a `sent` row moves to
 * `bounced` (an `uncertain` row was not counted by domain). `sent_at` stays:
 * the sender did hand it over that day. The row lock makes two
 * notifications for one message change it once.
 */
export const MARK_BOUNCED_AFTER_SENT = `
  WITH prev AS (
    SELECT id, status FROM messages WHERE id = $1 AND status IN ('sent', 'uncertain') FOR UPDATE
  ),
  changed AS (
    UPDATE messages m SET status = 'bounced', last_reply = $2, updated_at = now()
    FROM prev WHERE m.id = prev.id
    RETURNING prev.status AS was, ${OUTCOME_COLUMNS.split(', ')
      .map((c) => `m.${c}`)
      .join(', ')}, m.sender_id, m.sent_at
  ),
  by_status AS (
    INSERT INTO message_counts AS t (campaign_id, shard, sent, uncertain, bounced)
    SELECT campaign_id, ${SHARD}, -(was = 'sent')::int, -(was = 'uncertain')::int, 1
    FROM changed WHERE campaign_id IS NOT NULL AND NOT is_test
    ON CONFLICT (campaign_id, shard) DO UPDATE
      SET sent = t.sent + EXCLUDED.sent, uncertain = t.uncertain + EXCLUDED.uncertain, bounced = t.bounced + EXCLUDED.bounced
  ),
  by_domain AS (
    INSERT INTO message_domain_counts AS t (campaign_id, domain, shard, sent, bounced)
    SELECT campaign_id, lower(reverse(split_part(reverse(email), '@', 1))), ${SHARD}, -(was = 'sent')::int, 1
    FROM changed WHERE campaign_id IS NOT NULL AND NOT is_test
    ON CONFLICT (campaign_id, domain, shard) DO UPDATE SET sent = t.sent + EXCLUDED.sent, bounced = t.bounced + EXCLUDED.bounced
  )
  SELECT ${OUTCOME_COLUMNS}, sender_id, sent_at FROM changed`;

/** The data went out but no reply came: probably delivered, so it counts toward the sender's day like a sent one. */
export const MARK_UNCERTAIN = outcome(
  `status = 'uncertain', sender_id = $2, last_reply = $3, sent_at = now(), claimed_at = NULL, updated_at = now()`,
  true,
);

export const MARK_SKIPPED = counted(
  `UPDATE messages m SET status = 'skipped', last_reply = $2, claimed_at = NULL, updated_at = now()
  WHERE m.id = ANY($1::bigint[]) AND m.status = 'sending'
  RETURNING ${changeColumns(`'sending'`)}`,
  'count(*)::int AS n',
);

/** A cancelled campaign's rows that were never attempted, or are waiting to be tried again: they never will be. */
export const SKIP_UNSENT = counted(
  `UPDATE messages m SET status = 'skipped', last_reply = $2, claimed_at = NULL, updated_at = now()
  FROM (
    SELECT id, status FROM messages WHERE campaign_id = $1 AND status IN ('queued', 'deferred') AND NOT is_test
    FOR UPDATE
  ) AS unsent
  WHERE m.id = unsent.id AND m.status IN ('queued', 'deferred')
  RETURNING ${changeColumns('unsent.status')}`,
  'count(*)::int AS n',
);

/** Claimed but not attempted: back to the queue, and the attempt the claim counted is taken back. */
export const RELEASE = counted(
  `UPDATE messages m SET status = 'queued', claimed_at = NULL, attempts = greatest(m.attempts - 1, 0), updated_at = now()
  WHERE m.id = ANY($1::bigint[]) AND m.status = 'sending'
  RETURNING ${changeColumns(`'sending'`)}`,
  'count(*)::int AS n',
);

/**
 * Rows a dead worker left `sending`. Whether their SMTP transaction
 * happened is unknown, so the attempt stays counted and `reclaimed` marks
 * them as possible duplicates.
 */
export const RECLAIM_STALE = counted(
  `UPDATE messages m SET status = 'queued', claimed_at = NULL, reclaimed = m.reclaimed + 1, updated_at = now()
  WHERE m.campaign_id = $1 AND m.status = 'sending' AND m.claimed_at < now() - $2 * interval '1 millisecond'
  RETURNING ${changeColumns(`'sending'`, 'm.reclaimed = 1')}`,
  'count(*)::int AS n',
);

/**
 * A campaign's rows by status, test sends excluded; `reclaimed` counts rows
 * that may have gone out twice. From the counters the triggers on `messages`
 * keep (migration 1764301350000-MessageCounts), one row per shard: the cost
 * does not grow with the campaign.
 */
export const COUNTS = `
  SELECT ${MESSAGE_STATUSES.map((s) => `coalesce(sum(${s}), 0)::int AS ${s}`).join(', ')},
    coalesce(sum(reclaimed), 0)::int AS reclaimed
  FROM message_counts WHERE campaign_id = $1`;

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
 * A campaign's delivered, bounced and failed rows by recipient domain, the
 * domains with the most deliveries first (test sends excluded). From the
 * per-domain counters: the cost grows with the campaign's domains, not its
 * recipients.
 */
export const COUNTS_BY_DOMAIN = `
  SELECT domain, sum(sent)::int AS delivered, sum(bounced)::int AS bounced, sum(failed)::int AS failed
  FROM message_domain_counts WHERE campaign_id = $1
  GROUP BY domain HAVING sum(sent) + sum(bounced) + sum(failed) > 0
  ORDER BY delivered DESC, domain LIMIT $2`;

/*
 * Single messages: rows without a campaign (the relay's and the
 * transactional API's, one per recipient), claimed one by one by id. The
 * counters are per campaign, so these statements count nothing.
 */

/**
 * Single (campaign-less) messages: one queued row per row of `rows`, a
 * relation with the new row's `id` (from `newSingleIdSql`), `email` and
 * `content_id` (what the row delivers, an id in the adding module's own
 * table). Relay embeds it in the statement that stores messages, so that
 * messages and their rows are one statement (one round trip, atomic
 * without a transaction) and each row's id is known before it is written.
 */
export const addSinglesSql = (rows: string) => `
  INSERT INTO messages (id, email, content_id)
  SELECT id, email, content_id FROM ${rows} ORDER BY id`;

/** The `content_id` of single message `param` (NULL when it is not single). */
export const singleContentIdSql = (param: string) => `
  (SELECT content_id FROM messages WHERE id = ${param} AND campaign_id IS NULL)`;

/** A new id for a `messages` row, taken from its identity's sequence. */
export const newSingleIdSql = `nextval(pg_get_serial_sequence('messages', 'id'))`;

/**
 * Up to `limit` (a parameter) single messages due for an attempt, oldest due
 * first, now `sending` and the caller's, each with its `content_id`; rows
 * locked by a concurrent claimer are skipped, and the outer status test
 * re-checks a row whose lock was waited for. `attempts` counts this
 * attempt. Relay embeds it in the statement that also reads what the
 * claimed rows deliver.
 */
export const claimDueSinglesSql = (limit: string) => `
  UPDATE messages m
  SET status = 'sending', claimed_at = now(), attempts = m.attempts + 1, updated_at = now()
  FROM (
    SELECT id FROM messages
    WHERE campaign_id IS NULL AND status IN ('queued', 'deferred') AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT ${limit}
    FOR UPDATE SKIP LOCKED
  ) AS due
  WHERE m.id = due.id AND m.status IN ('queued', 'deferred')
  RETURNING m.${CLAIMED.split(', ').join(', m.')}, m.content_id`;

/** Claimed but not attempted (a spent quota, a shutdown): queued again for $2, the attempt taken back. */
export const POSTPONE = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, attempts = greatest(attempts - 1, 0),
    next_attempt_at = $2, last_reply = COALESCE($3, last_reply), updated_at = now()
  WHERE id = $1 AND status = 'sending'`;

/** Single messages a dead worker left `sending`: queued again and counted as possible duplicates. */
export const RECLAIM_STALE_SINGLES = `
  UPDATE messages SET status = 'queued', claimed_at = NULL, reclaimed = reclaimed + 1, updated_at = now()
  WHERE campaign_id IS NULL AND status = 'sending' AND claimed_at < now() - $1 * interval '1 millisecond'`;

/** Single messages by id with their delivery state, for listing. */
export const SINGLE_STATES = `
  SELECT id, email, status, attempts, last_reply, next_attempt_at, sent_at, updated_at
  FROM messages WHERE id = ANY($1::bigint[]) AND campaign_id IS NULL`;

/** Columns of a message as its recipient's history shows it. */
const RECORD = 'id, campaign_id, email, status, sent_at, last_reply, created_at';

/** A campaign's messages after id $2, in id order (test sends excluded): the activity export pages through them. */
export const CAMPAIGN_PAGE = `
  SELECT ${RECORD} FROM messages WHERE campaign_id = $1 AND NOT is_test AND id > $2 ORDER BY id LIMIT $3`;

/**
 * A contact's campaign messages before id $2 (all when null), newest first
 * (test sends excluded), through `messages_contact_history_idx`.
 */
export const CONTACT_PAGE = `
  SELECT ${RECORD} FROM messages
  WHERE contact_id = $1 AND NOT is_test AND campaign_id IS NOT NULL AND ($2::bigint IS NULL OR id < $2)
  ORDER BY id DESC LIMIT $3`;
