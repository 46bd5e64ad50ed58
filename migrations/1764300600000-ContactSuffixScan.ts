import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the reversed-email index. It served "email ends with" rules, but a
 * domain rule matches a large share of contacts (gmail.com alone is often a
 * third of a list), where it saved little over a scan: 134 ms against 150 ms
 * on a million contacts. Meanwhile every imported row paid for it: its
 * random inserts were the most expensive part of an import's merge.
 */
export class ContactSuffixScan1764300600000 implements MigrationInterface {
  name = 'ContactSuffixScan1764300600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX contacts_seg_email_suffix_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX contacts_seg_email_suffix_idx ON contacts (reverse(lower(email)) text_pattern_ops)`);
  }
}
