import type { BindParam, EngagementTest } from '@herald/segments';

/**
 * "Received" as segments ask it: a message of the contact that was sent, not
 * a test send. The status and test tests are written exactly as the partial
 * index `messages_contact_idx (contact_id, campaign_id) WHERE status = 'sent'
 * AND NOT is_test` states them, so the planner can use it for the contact
 * and, when given, the campaign. An EXISTS is never NULL.
 */
export function receivedSql(contactIdSql: string, test: EngagementTest, bind: BindParam): string {
  const where = [`m.contact_id = ${contactIdSql}`, `m.status = 'sent'`, 'NOT m.is_test'];
  if (test.campaignId !== undefined) where.push(`m.campaign_id = ${bind(test.campaignId, 'bigint')}`);
  if (test.withinDays !== undefined) {
    where.push(`m.sent_at >= now() - make_interval(days => ${bind(test.withinDays, 'int')})`);
  }
  return `EXISTS (SELECT 1 FROM messages m WHERE ${where.join(' AND ')})`;
}
