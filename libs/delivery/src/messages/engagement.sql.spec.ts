import { describe, expect, it } from 'vitest';
import { receivedSql } from './engagement.sql.js';

const binder = () => {
  const values: unknown[] = [];
  const bind = (value: unknown, cast: string) => {
    values.push(value);
    return `$${values.length + 4}::${cast}`;
  };
  return { values, bind };
};

describe('receivedSql', () => {
  it("states the partial index's predicate exactly, so the contact index answers it", () => {
    const { values, bind } = binder();
    expect(receivedSql('c.id', {}, bind)).toBe(
      "EXISTS (SELECT 1 FROM messages m WHERE m.contact_id = c.id AND m.status = 'sent' AND NOT m.is_test AND m.campaign_id IS NOT NULL)",
    );
    expect(values).toEqual([]);
  });

  it('binds the campaign and the days, never splicing them in', () => {
    const { values, bind } = binder();
    const sql = receivedSql('x.contact', { campaignId: '42', withinDays: 7 }, bind);
    expect(sql).toContain('m.contact_id = x.contact');
    expect(sql).toContain('m.campaign_id = $5::bigint');
    expect(sql).toContain('m.sent_at >= now() - make_interval(days => $6::int)');
    expect(sql).not.toMatch(/42|\b7\b/);
    expect(values).toEqual(['42', 7]);
  });
});
