import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl } from '../../../test/support/databases.js';
import { FORMULA_PREFIXES, isoTimeSql, likeEscape, safeCell, safeCellSql } from './text.js';

let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: adminUrl() });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
});

const sqlValue = async (expr: string, value: unknown): Promise<unknown> =>
  (await db.query<{ v: unknown }>(`SELECT ${expr} AS v`, [value])).rows[0].v;

describe('likeEscape', () => {
  it('makes LIKE match the text literally', async () => {
    for (const [text, subject, matches] of [
      ['100%', '100% sure', true],
      ['100%', '1000 sure', false],
      ['a_b', 'a_b', true],
      ['a_b', 'axb', false],
      ['back\\slash', 'back\\slash', true],
    ] as const) {
      const { rows } = await db.query<{ v: boolean }>(`SELECT $1::text LIKE '%' || $2::text || '%' AS v`, [
        subject,
        likeEscape(text),
      ]);
      expect(rows[0].v, `${subject} LIKE %${text}%`).toBe(matches);
    }
  });
});

describe('isoTimeSql', () => {
  it('formats a time in UTC with milliseconds whatever the session time zone', async () => {
    await db.query(`SET TIME ZONE 'America/New_York'`);
    try {
      expect(await sqlValue(isoTimeSql('$1::timestamptz'), '2024-05-01T12:34:56.789+02:00')).toBe(
        '2024-05-01T10:34:56.789Z',
      );
      const instant = new Date('2031-12-31T23:59:59.001Z');
      expect(await sqlValue(isoTimeSql('$1::timestamptz'), instant)).toBe(instant.toISOString());
    } finally {
      await db.query('RESET TIME ZONE');
    }
  });
});

describe('the CSV formula guard', () => {
  const cells = [...FORMULA_PREFIXES.map((ch) => `${ch}SUM(A1)`), 'plain', '', 'a=b', "'quoted", '5'];

  it('prefixes exactly the cells a spreadsheet would run as a formula', () => {
    expect(cells.map(safeCell)).toEqual([
      "'=SUM(A1)",
      "'+SUM(A1)",
      "'-SUM(A1)",
      "'@SUM(A1)",
      "'\tSUM(A1)",
      "'\rSUM(A1)",
      'plain',
      '',
      'a=b',
      "'quoted",
      '5',
    ]);
  });

  it('gives the same cells in SQL as in TypeScript', async () => {
    for (const cell of cells) expect(await sqlValue(safeCellSql('$1::text'), cell)).toBe(safeCell(cell));
  });

  it('guards an operator expression as a whole', async () => {
    expect(await sqlValue(safeCellSql(`$1::jsonb->>'x'`), JSON.stringify({ x: '=1+1' }))).toBe("'=1+1");
  });
});
