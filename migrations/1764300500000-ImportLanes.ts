import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An import merges through several connections at once ("lanes"), rows
 * spread across them by email, so the resume point is per lane: every row
 * of lane N up to `checkpoint_row` is committed. `imports.rows_read` becomes
 * the count of rows handled, summed over the lanes' batches.
 */
export class ImportLanes1764300500000 implements MigrationInterface {
  name = 'ImportLanes1764300500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_lanes (
        import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
        lane int NOT NULL CHECK (lane >= 0),
        checkpoint_row bigint NOT NULL DEFAULT 0,
        bytes_read bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (import_id, lane)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE import_lanes`);
  }
}
