import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Single messages (the relay's and the transactional API's: rows without a
 * campaign) leave the indexes only campaigns read. Every status change of a
 * row writes a new entry in each index whose predicate it matches, so a
 * relayed message that was in all of them cost about 19 index entries from
 * queued to sent; it now costs 6 (the key, the sender's day, and the two
 * single-message queues). The queries these indexes serve name a campaign
 * (`campaign_id = $1`) or say `campaign_id IS NOT NULL` (`receivedSql`, a
 * contact's history), so Postgres still proves each one usable.
 */
const CAMPAIGN_ONLY = [
  ['messages_campaign_contact_key', 'CREATE UNIQUE INDEX', '(campaign_id, contact_id)', 'NOT is_test'],
  ['messages_claim_idx', 'CREATE INDEX', '(campaign_id, next_attempt_at, id)', `status IN ('queued', 'deferred')`],
  ['messages_campaign_status_idx', 'CREATE INDEX', '(campaign_id, status)', null],
  ['messages_contact_idx', 'CREATE INDEX', '(contact_id, campaign_id)', `status = 'sent' AND NOT is_test`],
  ['messages_contact_history_idx', 'CREATE INDEX', '(contact_id, id DESC)', 'NOT is_test'],
  ['messages_campaign_sent_idx', 'CREATE INDEX', '(campaign_id, contact_id)', `status = 'sent' AND NOT is_test`],
  ['messages_sent_at_idx', 'CREATE INDEX', '(sent_at, contact_id)', `status = 'sent' AND NOT is_test`],
] as const;

const rebuild = (withCampaign: boolean) =>
  CAMPAIGN_ONLY.map(([name, create, columns, predicate]) => {
    const where = [predicate, withCampaign ? 'campaign_id IS NOT NULL' : null].filter((p) => p !== null);
    return `DROP INDEX ${name};
      ${create} ${name} ON messages ${columns}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''};`;
  }).join('\n');

export class CampaignOnlyMessageIndexes1764302000000 implements MigrationInterface {
  name = 'CampaignOnlyMessageIndexes1764302000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(rebuild(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(rebuild(false));
  }
}
