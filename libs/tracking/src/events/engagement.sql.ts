import type { BindParam, EngagementTest } from '@herald/segments';

/**
 * "Opened" and "clicked" as segments ask them: a message of the contact
 * whose first human open (click) is recorded, of one campaign or any, ever
 * or first made within the last `withinDays` days. Human, not total: Apple's
 * privacy proxy opens every message it delivers, so "opened" by totals would
 * hold for nearly every Apple Mail reader. Uses `message_engagement_contact_idx
 * (contact_id, campaign_id)` to check a few contacts; over a whole audience,
 * `message_engagement_campaign_idx (campaign_id, contact_id) INCLUDE (the
 * human firsts)` for one campaign, or `message_engagement_opened_idx` /
 * `_clicked_idx` (the first, contact) for the last days, which read only the
 * matching entries (migration EngagementIndexes). The `IS NOT NULL` states
 * the partial indexes' predicate. An EXISTS is never NULL.
 */
export function engagedSql(column: 'first_human_open_at' | 'first_human_click_at') {
  return (contactIdSql: string, test: EngagementTest, bind: BindParam): string => {
    const where = [`e.contact_id = ${contactIdSql}`, `e.${column} IS NOT NULL`];
    if (test.campaignId !== undefined) where.push(`e.campaign_id = ${bind(test.campaignId, 'bigint')}`);
    if (test.withinDays !== undefined) {
      where.push(`e.${column} >= now() - make_interval(days => ${bind(test.withinDays, 'int')})`);
    }
    return `EXISTS (SELECT 1 FROM message_engagement e WHERE ${where.join(' AND ')})`;
  };
}
