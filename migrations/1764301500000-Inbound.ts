import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbound mail (owned by inbound): `inbound_messages`, every message the
 * inbound listener took (bounces, complaint reports, mailed unsubscribes,
 * and whatever could not be read or matched), stored before the 250 with
 * what became of it, so an operator can look at any of them; the newest
 * HERALD_INBOUND_MAX_MESSAGES are kept. `inbound_effects`, what a report
 * did to a message, one row per message and effect, which makes the same
 * report (or a second report of the same bounce or complaint) count once;
 * it is never trimmed.
 */
export class Inbound1764301500000 implements MigrationInterface {
  name = 'Inbound1764301500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inbound_messages (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        remote_address text,
        envelope_from text,
        envelope_to text[] NOT NULL,
        message_id text,
        from_header text,
        subject text,
        -- What the message was read as.
        kind text NOT NULL CHECK (kind IN ('delivery-status', 'feedback-report', 'unsubscribe', 'other')),
        outcome text NOT NULL CHECK (outcome IN ('processed', 'duplicate', 'unmatched', 'unparseable')),
        effect text CHECK (effect IN ('hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe')),
        reason text NOT NULL,
        -- The delivery message (messages.id) it was matched to; no foreign key, it outlives it.
        matched_message_id bigint,
        -- What the report said: per-recipient actions and statuses, or the feedback type.
        report jsonb,
        headers jsonb NOT NULL,
        -- The same report sent twice has the same fingerprint (its Message-ID, or its body's hash).
        fingerprint text NOT NULL,
        raw bytea NOT NULL,
        size integer NOT NULL,
        raw_truncated boolean NOT NULL DEFAULT false
      );
      CREATE INDEX inbound_messages_fingerprint_idx ON inbound_messages (fingerprint) WHERE outcome = 'processed';

      CREATE TABLE inbound_effects (
        message_id bigint NOT NULL,
        effect text NOT NULL,
        inbound_message_id bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (message_id, effect)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE inbound_effects;
      DROP TABLE inbound_messages;
    `);
  }
}
