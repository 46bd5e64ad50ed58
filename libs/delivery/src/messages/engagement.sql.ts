import type { BindParam, EngagementTest } from '@herald/segments';

/**
 * "Received" as segments ask it: a campaign message of the contact that was
 * sent, not a test send. The tests are written exactly as the partial
 * indexes over sent messages state them (`WHERE status = 'sent' AND NOT
 * is_test AND campaign_id IS NOT NULL`), so the planner can use them:
 * `messages_contact_idx (contact_id, campaign_id)` to check a few
 * contacts, and over a whole audience `messages_campaign_sent_idx
 * (campaign_id, contact_id)` for one campaign or `messages_sent_at_idx
 * (sent_at, contact_id)` for the last days, which read only the matching
 * entries and never the table (migrations EngagementIndexes,
 * CampaignOnlyMessageIndexes). An EXISTS is never NULL.
 */
export function receivedSql(contactIdSql: string, test: EngagementTest, bind: BindParam): string {
  const where = [`m.contact_id = ${contactIdSql}`, `m.status = 'sent'`, 'NOT m.is_test', 'm.campaign_id IS NOT NULL'];
  if (test.campaignId !== undefined) where.push(`m.campaign_id = ${bind(test.campaignId, 'bigint')}`);
  if (test.withinDays !== undefined) {
    where.push(`m.sent_at >= now() - make_interval(days => ${bind(test.withinDays, 'int')})`);
  }
  return `EXISTS (SELECT 1 FROM messages m WHERE ${where.join(' AND ')})`;
}
