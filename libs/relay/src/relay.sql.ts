import { prepared } from '@herald/common';
import { suppressionReasonSql } from '@herald/contacts';
import { addSinglesSql, claimDueSinglesSql, newSingleIdSql, singleContentIdSql } from '@herald/delivery';

/** Every statement on relay's own tables (`relay_messages`, `relay_idempotency`). */

/**
 * Messages and their recipients' `messages` rows in one statement: atomic
 * without a transaction, and one round trip before the 250s. Each row
 * names its message (`content_id`), and each message lists its rows in
 * recipient order (`message_ids`). Per message, in step: $1 source, $2 API
 * key, $3 user, $4 sender, $5 envelope sender, $6 From, $7 subject, $8
 * Message-ID, $10 size, $11 open tracking, $12 tracked links; $9 is every
 * message's raw bytes one after another (one binary parameter: a bytea[]
 * would travel as hex text, twice the size, and be parsed back); per
 * recipient, in step: $13 address, $14 the position of its message (from
 * 1). Returns, in the messages' order, each one's id and its rows' ids.
 */
export const ACCEPT = prepared(`
  WITH given AS (
    SELECT g.*, substring($9::bytea FROM (sum(g.size) OVER (ORDER BY g.n) - g.size + 1)::int FOR g.size) AS raw,
      nextval(pg_get_serial_sequence('relay_messages', 'id')) AS id
    FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[],
      $8::text[], $10::int[], $11::boolean[], $12::jsonb[])
      WITH ORDINALITY AS g (source, api_key_id, user_id, sender_id, envelope_from, from_header, subject,
        message_id_header, size, track_opens, links, n)
  ),
  recipient AS (
    SELECT r.email, r.message_n, r.k, ${newSingleIdSql} AS id,
      (SELECT given.id FROM given WHERE given.n = r.message_n) AS content_id
    FROM unnest($13::text[], $14::int[]) WITH ORDINALITY AS r (email, message_n, k)
    ORDER BY r.k
  ),
  rows AS (${addSinglesSql('recipient')}),
  message AS (
    INSERT INTO relay_messages (id, source, api_key_id, user_id, sender_id, envelope_from, from_header, subject,
      message_id_header, raw, size, track_opens, links, message_ids)
    SELECT id, source, api_key_id, user_id, sender_id, envelope_from, from_header, subject,
      message_id_header, raw, size, track_opens, links,
      ARRAY(SELECT recipient.id FROM recipient WHERE recipient.message_n = given.n ORDER BY recipient.k)
    FROM given ORDER BY n
    RETURNING id, message_ids
  )
  SELECT message.id, message.message_ids FROM message JOIN given ON given.id = message.id ORDER BY given.n`);

/**
 * Claims up to $1 due recipient rows (delivery's claim) and returns each
 * with the relayed message it delivers (NULL columns when that is gone) and
 * why its recipient is suppressed (NULL when not), in one round trip. The
 * raw content comes once per message, on its first row in the batch,
 * however many of its recipients were claimed together.
 */
export const CLAIM_DUE = prepared(`
  WITH claimed AS (${claimDueSinglesSql('$1')})
  SELECT claimed.*, ${suppressionReasonSql('claimed.email')} AS suppressed,
    r.id AS relay_message_id, r.sender_id, r.envelope_from, r.track_opens, r.links,
    CASE WHEN row_number() OVER (PARTITION BY claimed.content_id ORDER BY claimed.id) = 1 THEN r.raw END AS raw
  FROM claimed LEFT JOIN relay_messages r ON r.id = claimed.content_id
  ORDER BY claimed.id`);

/** The tracked links of the message a recipient row belongs to; no row when it is not relay's, NULL when untracked. */
export const LINKS_FOR = `
  SELECT links FROM relay_messages WHERE id = ${singleContentIdSql('$1')}`;

const VIEW_COLUMNS = `r.id, r.source, r.sender_id, r.envelope_from, r.from_header, r.subject, r.message_id_header,
  r.size, r.created_at, r.track_opens, r.links IS NOT NULL AS track_clicks, r.message_ids`;

/** Newest first; the cursor is the last id of the previous page. */
export const LIST = `
  SELECT ${VIEW_COLUMNS} FROM relay_messages r
  WHERE ($1::bigint IS NULL OR r.id < $1)
  ORDER BY r.id DESC LIMIT $2`;

export const GET = `SELECT ${VIEW_COLUMNS} FROM relay_messages r WHERE r.id = $1`;

/**
 * Claims an Idempotency-Key for a new message: inserted, or taken over when
 * the key's previous use is older than 24 h. No row back: the key is live
 * and belongs to another message.
 */
export const CLAIM_IDEMPOTENCY = `
  INSERT INTO relay_idempotency (user_id, key, body_hash, relay_message_id) VALUES ($1, $2, $3, $4)
  ON CONFLICT (user_id, key) DO UPDATE
    SET body_hash = EXCLUDED.body_hash, relay_message_id = EXCLUDED.relay_message_id, created_at = now()
    WHERE relay_idempotency.created_at < now() - interval '24 hours'
  RETURNING relay_message_id`;

export const FIND_IDEMPOTENCY = `
  SELECT body_hash, relay_message_id FROM relay_idempotency
  WHERE user_id = $1 AND key = $2 AND created_at >= now() - interval '24 hours'`;

export const EXPIRE_IDEMPOTENCY = `
  DELETE FROM relay_idempotency WHERE created_at < now() - interval '24 hours'`;
