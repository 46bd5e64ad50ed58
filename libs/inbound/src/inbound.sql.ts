/** Every statement on inbound's own tables (`inbound_messages`, `inbound_effects`). */

export interface InboundMessageRow {
  id: string;
  received_at: Date;
  remote_address: string | null;
  envelope_from: string | null;
  envelope_to: string[];
  message_id: string | null;
  from_header: string | null;
  subject: string | null;
  kind: string;
  outcome: string;
  effect: string | null;
  reason: string;
  matched_message_id: string | null;
  size: number;
}

export interface InboundMessageDetailRow extends InboundMessageRow {
  headers: { name: string; value: string }[];
  report: unknown;
  raw: Buffer;
  raw_truncated: boolean;
}

export const SUMMARY_COLUMNS = `id, received_at, remote_address, envelope_from, envelope_to, message_id, from_header,
  subject, kind, outcome, effect, reason, matched_message_id, size`;

export const INSERT_INBOUND_MESSAGE = `
  INSERT INTO inbound_messages (remote_address, envelope_from, envelope_to, message_id, from_header, subject, kind,
    outcome, effect, reason, matched_message_id, report, headers, fingerprint, raw, size, raw_truncated)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
  RETURNING id`;

/** Sets what became of message $1 once its effect is known (it is inserted first so the effect can name it). */
export const SET_OUTCOME = `
  UPDATE inbound_messages SET outcome = $2, effect = $3, reason = $4 WHERE id = $1`;

/**
 * Serialises the handling of one fingerprint for the rest of the
 * transaction, so that the same report arriving twice at once is taken once.
 */
export const LOCK_FINGERPRINT = `SELECT pg_advisory_xact_lock(hashtextextended('inbound:' || $1, 0))`;

/** The message processed earlier with this fingerprint, if any. */
export const PROCESSED_WITH_FINGERPRINT = `
  SELECT id FROM inbound_messages WHERE fingerprint = $1 AND outcome = 'processed' ORDER BY id LIMIT 1`;

/**
 * Claims effect $2 on delivery message $1 for inbound message $3; no row
 * back when an earlier report had that effect on it already.
 */
export const CLAIM_EFFECT = `
  INSERT INTO inbound_effects (message_id, effect, inbound_message_id) VALUES ($1, $2, $3)
  ON CONFLICT (message_id, effect) DO NOTHING
  RETURNING message_id`;

export const EARLIER_EFFECT = `
  SELECT inbound_message_id FROM inbound_effects WHERE message_id = $1 AND effect = $2`;

/** Keeps the newest $1 messages; the boundary is read from the primary key. */
export const TRIM_INBOUND_MESSAGES = `
  DELETE FROM inbound_messages
  WHERE id < (SELECT id FROM inbound_messages ORDER BY id DESC OFFSET $1 - 1 LIMIT 1)`;

/** Newest first, keyset-paged on id; $3 filters on the outcome. */
export const LIST_INBOUND_MESSAGES = `
  SELECT ${SUMMARY_COLUMNS} FROM inbound_messages
  WHERE ($1::bigint IS NULL OR id < $1) AND ($3::text IS NULL OR outcome = $3)
  ORDER BY id DESC
  LIMIT $2`;

export const GET_INBOUND_MESSAGE = `
  SELECT ${SUMMARY_COLUMNS}, headers, report, raw, raw_truncated FROM inbound_messages WHERE id = $1`;
