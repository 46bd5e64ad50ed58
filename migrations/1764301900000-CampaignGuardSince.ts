import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A campaign's report figures when it was last resumed (`GuardCounters`:
 * attempted, bounced, delivered, complaints). The bounce and complaint
 * guards read the report's counters, which also count bounces that come
 * back by mail after sending; they judge what was counted after this, so
 * a resumed campaign is not paused again at once by the figures that
 * paused it. NULL: never resumed, judged from the start.
 */
export class CampaignGuardSince1764301900000 implements MigrationInterface {
  name = 'CampaignGuardSince1764301900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE campaigns
        ADD COLUMN guard_since jsonb CHECK (guard_since IS NULL OR jsonb_typeof(guard_since) = 'object');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaigns DROP COLUMN guard_since;`);
  }
}
