import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What recipients do with messages (owned by tracking): `events`, append
 * only; `message_engagement` and `link_engagement`, the first open and
 * click of each message (and link), which make unique counts and
 * engagement segments; and the counters reports read, kept up to date as
 * events are written so that a report never scans a campaign's events.
 * No foreign keys: events are written in batches at campaign scale, and
 * they outlive the rows they name (an erased contact, a deleted campaign).
 */
export class Tracking1764301100000 implements MigrationInterface {
  name = 'Tracking1764301100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        type text NOT NULL CHECK (type IN ('open', 'click', 'unsubscribe', 'complaint', 'bounce')),
        message_id bigint NOT NULL,
        campaign_id bigint,
        contact_id bigint,
        -- The link of a click, by its index in campaign_links.
        link_index integer,
        -- Not a person: a privacy proxy fetching images, a link scanner, a HEAD request.
        machine boolean NOT NULL DEFAULT false,
        machine_reason text,
        user_agent text,
        detail text,
        occurred_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX events_campaign_idx ON events (campaign_id, occurred_at);
      CREATE INDEX events_contact_idx ON events (contact_id, occurred_at DESC) WHERE contact_id IS NOT NULL;
      CREATE INDEX events_message_idx ON events (message_id);

      CREATE TABLE message_engagement (
        message_id bigint PRIMARY KEY,
        campaign_id bigint NOT NULL,
        contact_id bigint,
        first_open_at timestamptz,
        first_human_open_at timestamptz,
        first_click_at timestamptz,
        first_human_click_at timestamptz
      );
      -- Engagement segments: "opened / clicked (campaign X) (within N days)".
      CREATE INDEX message_engagement_contact_idx ON message_engagement (contact_id, campaign_id);

      CREATE TABLE link_engagement (
        message_id bigint NOT NULL,
        link_index integer NOT NULL,
        first_click_at timestamptz,
        first_human_click_at timestamptz,
        PRIMARY KEY (message_id, link_index)
      );

      CREATE TABLE campaign_stats (
        campaign_id bigint PRIMARY KEY,
        opens bigint NOT NULL DEFAULT 0,
        human_opens bigint NOT NULL DEFAULT 0,
        unique_opens bigint NOT NULL DEFAULT 0,
        unique_human_opens bigint NOT NULL DEFAULT 0,
        clicks bigint NOT NULL DEFAULT 0,
        human_clicks bigint NOT NULL DEFAULT 0,
        unique_clicks bigint NOT NULL DEFAULT 0,
        unique_human_clicks bigint NOT NULL DEFAULT 0,
        unsubscribes bigint NOT NULL DEFAULT 0,
        complaints bigint NOT NULL DEFAULT 0
      );

      CREATE TABLE campaign_link_stats (
        campaign_id bigint NOT NULL,
        link_index integer NOT NULL,
        clicks bigint NOT NULL DEFAULT 0,
        human_clicks bigint NOT NULL DEFAULT 0,
        unique_clicks bigint NOT NULL DEFAULT 0,
        unique_human_clicks bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, link_index)
      );

      CREATE TABLE campaign_hourly_stats (
        campaign_id bigint NOT NULL,
        hour timestamptz NOT NULL,
        opens bigint NOT NULL DEFAULT 0,
        human_opens bigint NOT NULL DEFAULT 0,
        clicks bigint NOT NULL DEFAULT 0,
        human_clicks bigint NOT NULL DEFAULT 0,
        unsubscribes bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, hour)
      );

      CREATE TABLE campaign_domain_stats (
        campaign_id bigint NOT NULL,
        domain text NOT NULL,
        unique_opens bigint NOT NULL DEFAULT 0,
        unique_human_opens bigint NOT NULL DEFAULT 0,
        unique_clicks bigint NOT NULL DEFAULT 0,
        unique_human_clicks bigint NOT NULL DEFAULT 0,
        unsubscribes bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign_id, domain)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE campaign_domain_stats;
      DROP TABLE campaign_hourly_stats;
      DROP TABLE campaign_link_stats;
      DROP TABLE campaign_stats;
      DROP TABLE link_engagement;
      DROP TABLE message_engagement;
      DROP TABLE events;
    `);
  }
}
