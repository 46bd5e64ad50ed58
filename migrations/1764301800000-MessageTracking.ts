import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tracking of relayed and API mail. Each API key says whether the mail it
 * sends gets the open pixel and tracked links (auth's `api_keys`, both off:
 * transactional mail is untracked unless asked). Each relayed message keeps
 * what was chosen for it and, when its links are tracked, the link
 * destinations of its HTML in order (relay's `relay_messages.links`): a
 * click on a relayed message redirects only to one of them.
 */
export class MessageTracking1764301800000 implements MigrationInterface {
  name = 'MessageTracking1764301800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN track_opens boolean NOT NULL DEFAULT false,
        ADD COLUMN track_clicks boolean NOT NULL DEFAULT false;

      ALTER TABLE relay_messages
        ADD COLUMN track_opens boolean NOT NULL DEFAULT false,
        -- The tracked links' destinations, by index; NULL when links are not tracked.
        ADD COLUMN links jsonb CHECK (links IS NULL OR jsonb_typeof(links) = 'array');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE relay_messages DROP COLUMN links, DROP COLUMN track_opens;
      ALTER TABLE api_keys DROP COLUMN track_clicks, DROP COLUMN track_opens;
    `);
  }
}
