/** SQL of the `sandbox_messages` table: what the sandbox inbox caught. */

export interface SandboxMessageRow {
  id: string;
  received_at: Date;
  envelope_from: string | null;
  envelope_to: string[];
  message_id: string | null;
  from_header: string | null;
  to_header: string | null;
  subject: string | null;
  size: number;
}

export interface SandboxMessageDetailRow extends SandboxMessageRow {
  headers: { name: string; value: string }[];
  html: string | null;
  text: string | null;
}

export const SUMMARY_COLUMNS = `id, received_at, envelope_from, envelope_to, message_id, from_header, to_header, subject, size`;

export const INSERT_SANDBOX_MESSAGE = `
  INSERT INTO sandbox_messages (envelope_from, envelope_to, message_id, from_header, to_header, subject,
                                headers, html, text, raw, size)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  RETURNING id`;

/**
 * Keeps the newest `$1` messages. The boundary is read from the primary key
 * (ids grow with arrival), so the trim costs one index step past `$1` rows.
 */
export const TRIM_SANDBOX_MESSAGES = `
  DELETE FROM sandbox_messages
  WHERE id < (SELECT id FROM sandbox_messages ORDER BY id DESC OFFSET $1 - 1 LIMIT 1)`;

/**
 * Newest first, keyset-paged on id; `$3` filters on an envelope recipient
 * (case-insensitive).
 */
export const LIST_SANDBOX_MESSAGES = `
  SELECT ${SUMMARY_COLUMNS} FROM sandbox_messages
  WHERE ($1::bigint IS NULL OR id < $1)
    AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM unnest(envelope_to) AS t (address) WHERE lower(t.address) = lower($3)))
  ORDER BY id DESC
  LIMIT $2`;
