import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Counters of a campaign's messages (owned by delivery, beside `messages`):
 * rows by status, and delivered / bounced / failed rows by recipient
 * domain. Reports and the end-of-campaign check read them instead of
 * counting a campaign's messages (about a second per million rows).
 *
 * Every statement on `messages` that adds rows or changes a status counts
 * its own change in the same statement (libs/delivery/src/messages/
 * outbox.sql.ts), so they are exact: statements over many rows (snapshot,
 * claim, cancel) with one aggregated upsert, the outcome of one attempt
 * through `count_message_outcome`, whose plans a connection keeps (a
 * statement planned anew for every message cost several times the update
 * itself). A statement adds to the shard row of its connection
 * (`pg_backend_pid() % 16`), so workers marking messages at the same time
 * do not queue behind one row; readers sum the shards. Triggers would do
 * the same for any SQL, but cost a third of the throughput of a one-row
 * status change (transition tables) or, row by row, update one counter row
 * a million times when a big campaign is cancelled. Test sends are not
 * counted; a deleted campaign takes its counters along.
 */

const STATUSES = ['queued', 'sending', 'sent', 'deferred', 'failed', 'bounced', 'uncertain', 'skipped'] as const;
const DOMAIN_STATUSES = ['sent', 'bounced', 'failed'] as const;

export class MessageCounts1764301350000 implements MigrationInterface {
  name = 'MessageCounts1764301350000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE message_counts (
        campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        shard smallint NOT NULL,
        ${STATUSES.map((s) => `${s} bigint NOT NULL DEFAULT 0`).join(',\n        ')},
        -- Rows reclaimed at least once (possible duplicates), whatever their status now.
        reclaimed bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, shard)
      );
      CREATE TABLE message_domain_counts (
        campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
        -- As tracking's domainOf takes it: after the last @, lower-cased.
        domain text NOT NULL,
        shard smallint NOT NULL,
        ${DOMAIN_STATUSES.map((s) => `${s} bigint NOT NULL DEFAULT 0`).join(',\n        ')},
        PRIMARY KEY (campaign_id, domain, shard)
      );

      -- A contact's history, newest first (GET /contacts/:id/activity).
      CREATE INDEX messages_contact_history_idx ON messages (contact_id, id DESC) WHERE NOT is_test;

      -- Messages written before the counters existed.
      INSERT INTO message_counts (campaign_id, shard, ${STATUSES.join(', ')}, reclaimed)
      SELECT campaign_id, 0, ${STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}')`).join(', ')},
        count(*) FILTER (WHERE reclaimed > 0)
      FROM messages WHERE campaign_id IS NOT NULL AND NOT is_test GROUP BY campaign_id;
      INSERT INTO message_domain_counts (campaign_id, domain, shard, ${DOMAIN_STATUSES.join(', ')})
      SELECT campaign_id, lower(reverse(split_part(reverse(email), '@', 1))), 0,
        ${DOMAIN_STATUSES.map((s) => `count(*) FILTER (WHERE status = '${s}')`).join(', ')}
      FROM messages WHERE campaign_id IS NOT NULL AND NOT is_test AND status IN ('sent', 'bounced', 'failed')
      GROUP BY 1, 2;

      -- One message of a campaign went from sending to its outcome; returns true, for RETURNING.
      CREATE FUNCTION count_message_outcome(in_campaign bigint, in_test boolean, in_email text, in_outcome text)
      RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        own_shard smallint := pg_backend_pid() % 16;
      BEGIN
        IF in_campaign IS NULL OR in_test THEN
          RETURN true;
        END IF;
        INSERT INTO message_counts AS t (campaign_id, shard, ${STATUSES.join(', ')})
        VALUES (in_campaign, own_shard, ${STATUSES.map((s) => (s === 'sending' ? '-1' : `(in_outcome = '${s}')::int`)).join(', ')})
        ON CONFLICT (campaign_id, shard) DO UPDATE SET ${STATUSES.map((s) => `${s} = t.${s} + EXCLUDED.${s}`).join(', ')};
        IF in_outcome IN ('sent', 'bounced', 'failed') THEN
          INSERT INTO message_domain_counts AS t (campaign_id, domain, shard, sent, bounced, failed)
          VALUES (in_campaign, lower(reverse(split_part(reverse(in_email), '@', 1))), own_shard,
            (in_outcome = 'sent')::int, (in_outcome = 'bounced')::int, (in_outcome = 'failed')::int)
          ON CONFLICT (campaign_id, domain, shard) DO UPDATE
            SET sent = t.sent + EXCLUDED.sent, bounced = t.bounced + EXCLUDED.bounced, failed = t.failed + EXCLUDED.failed;
        END IF;
        RETURN true;
      END
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX messages_contact_history_idx;
      DROP FUNCTION count_message_outcome(bigint, boolean, text, text);
      DROP TABLE message_domain_counts;
      DROP TABLE message_counts;
    `);
  }
}
