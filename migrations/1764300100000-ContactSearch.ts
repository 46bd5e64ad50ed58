import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trigram index behind `GET /contacts?q=` (substring search on email, first
 * and last name). The expression must match `SEARCH_TEXT_SQL` in
 * libs/contacts/src/contacts/contacts.sql.ts exactly.
 */
export class ContactSearch1764300100000 implements MigrationInterface {
  name = 'ContactSearch1764300100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX contacts_search_trgm_idx ON contacts USING gin (
        (email || E'\\n' || coalesce(first_name, '') || E'\\n' || coalesce(last_name, '')) gin_trgm_ops
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX contacts_search_trgm_idx');
  }
}
