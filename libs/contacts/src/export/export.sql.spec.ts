import { describe, expect, it } from 'vitest';
import { exportQuery } from './export.sql.js';

describe('exportQuery', () => {
  it('lists the fixed columns, then one quoted column per field', () => {
    const sql = exportQuery(
      [
        ['plan', 'text'],
        ['seats', 'number'],
      ],
      {},
    );
    const aliases = [...sql.matchAll(/ AS ("?[a-z_]+"?)(?=,|\s*FROM)/g)].map((m) => m[1]);
    expect(aliases).toEqual([
      'email',
      'first_name',
      'last_name',
      'status',
      'consent_source',
      'consent_at',
      'created_at',
      'updated_at',
      '"plan"',
      '"seats"',
    ]);
    expect(sql).toMatch(/^COPY \(/);
    expect(sql).toMatch(/TO STDOUT WITH \(FORMAT csv, HEADER\)$/);
    expect(sql).not.toContain('list_members');
  });

  it('quotes the list id as a literal and can join the segment ids table', () => {
    const sql = exportQuery([], { listId: '42', idsTable: true });
    expect(sql).toContain("m.list_id = '42'::bigint");
    expect(sql).toContain('c.id IN (SELECT id FROM export_ids)');
  });
});
