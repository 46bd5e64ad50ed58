import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for engagement segments counted over a whole audience ("opened
 * campaign X", "clicked in the last 45 days", "received in the last 90
 * days and opened none of it"). The per-contact indexes
 * (`messages_contact_idx`, `message_engagement_contact_idx`) answer these
 * for a few contacts; for a million, Postgres hashes every matching row
 * instead, and found those rows by scanning all of `messages` (312 MB at a
 * million contacts and four campaigns) or `message_engagement`. Each index
 * here holds exactly the rows one kind of condition asks for, in the order
 * it asks (by campaign, or by time), with the contact, so the scan reads
 * only those entries and never the table.
 *
 * The `messages` ones repeat the predicate `receivedSql` (delivery) writes;
 * the `message_engagement` ones the columns `engagedSql` (tracking) tests.
 * A row enters the `messages` ones when it becomes sent, and the
 * `message_engagement` ones when its first human open or click is set.
 */
export class EngagementIndexes1764301600000 implements MigrationInterface {
  name = 'EngagementIndexes1764301600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- "Received campaign X" (and "did not open / click campaign X").
      CREATE INDEX messages_campaign_sent_idx ON messages (campaign_id, contact_id) WHERE status = 'sent' AND NOT is_test;
      -- "Received in the last N days".
      CREATE INDEX messages_sent_at_idx ON messages (sent_at, contact_id) WHERE status = 'sent' AND NOT is_test;
      -- "Opened / clicked campaign X", within N days or ever: the firsts ride along, so the scan never visits the table.
      CREATE INDEX message_engagement_campaign_idx ON message_engagement (campaign_id, contact_id)
        INCLUDE (first_human_open_at, first_human_click_at);
      -- "Opened / clicked (any campaign) in the last N days".
      CREATE INDEX message_engagement_opened_idx ON message_engagement (first_human_open_at, contact_id)
        WHERE first_human_open_at IS NOT NULL;
      CREATE INDEX message_engagement_clicked_idx ON message_engagement (first_human_click_at, contact_id)
        WHERE first_human_click_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX message_engagement_clicked_idx;
      DROP INDEX message_engagement_opened_idx;
      DROP INDEX message_engagement_campaign_idx;
      DROP INDEX messages_sent_at_idx;
      DROP INDEX messages_campaign_sent_idx;
    `);
  }
}
