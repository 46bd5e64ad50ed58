import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { compileRules } from './compiler.js';
import type { EngagementSource, EngagementTest } from './engagement.js';
import type { FieldType } from '@herald/contacts';
import { parseRules, type RuleCatalogue } from './rules.js';

/**
 * Rule → exact set of matching contacts, on a small fixed data set in a real
 * Postgres. Contacts are named by the local part of their address.
 */
const DAY = 86_400_000;
const now = Date.now();
const daysAgo = (n: number) => new Date(now - n * DAY).toISOString();

const FIELDS: [string, FieldType][] = [
  ['country', 'text'],
  ['plan', 'text'],
  ['nickname', 'text'],
  ['score', 'number'],
  ['vip', 'boolean'],
  ['signup', 'date'],
];

interface Fixture {
  email: string;
  status?: string;
  attributes?: Record<string, unknown>;
  createdDaysAgo: number;
  updatedDaysAgo?: number;
}

const CONTACTS: Record<string, Fixture> = {
  ana: {
    email: 'ana@example.com',
    attributes: { country: 'DE', plan: 'pro', score: 90, vip: true, signup: '2024-01-15T10:00:00.000Z' },
    createdDaysAgo: 5,
  },
  ben: {
    email: 'ben@example.com',
    attributes: { country: 'DE', plan: 'free', score: 10, vip: false, signup: '2024-03-01T00:00:00.000Z' },
    createdDaysAgo: 40,
    updatedDaysAgo: 1,
  },
  cara: {
    email: 'cara@gmail.com',
    status: 'unsubscribed',
    attributes: { country: 'FR', plan: 'business', score: 50, signup: '2023-12-31T23:59:59.999Z' },
    createdDaysAgo: 2,
  },
  dan: { email: 'dan@gmail.com', status: 'bounced', attributes: { country: 'US', score: 50.5 }, createdDaysAgo: 400 },
  eve: { email: 'Eve.Upper@example.org', status: 'complained', createdDaysAgo: 10 },
  fay: { email: 'fay@example.org', attributes: { nickname: '100%_sure\\' }, createdDaysAgo: 1 },
  gus: { email: 'gus@example.org', attributes: { nickname: '100 percent sure' }, createdDaysAgo: 1 },
  hal: { email: 'hal@mail.example.com', attributes: { country: 'de' }, createdDaysAgo: 20 },
  ivy: { email: 'ivy@example.com', attributes: { plan: null }, createdDaysAgo: 20 },
  obrien: { email: "o'brien@example.com", createdDaysAgo: 20 },
  joe: { email: 'jo_e@example.net', createdDaysAgo: 20 },
  joke: { email: 'joke@example.net', createdDaysAgo: 20 },
  kim: {
    email: 'kim@example.com',
    attributes: { score: -5, vip: true, signup: daysAgo(3).replace(/\.\d{3}Z$/, '.000Z') },
    createdDaysAgo: 20,
  },
  lee: { email: 'lee@example.com', attributes: { signup: daysAgo(-10) }, createdDaysAgo: 20 },
  max: { email: 'max@example.com', attributes: { score: 0, vip: false }, createdDaysAgo: 20 },
  // Values of the wrong type (written before a field's type changed) never take part in comparisons.
  stray: { email: 'stray@example.net', attributes: { score: 'high', vip: 'yes' }, createdDaysAgo: 20 },
};
const ALL = Object.keys(CONTACTS);
const except = (...names: string[]) => ALL.filter((n) => !names.includes(n));

let database: TestDatabase;
let db: pg.Pool;
let catalogue: RuleCatalogue;
const lists: Record<'newsletter' | 'customers' | 'empty', string> = { newsletter: '', customers: '', empty: '' };

beforeAll(async () => {
  database = await createTestDatabase();
  db = new pg.Pool({ connectionString: database.url, max: 2 });
  for (const [name, type] of FIELDS) await db.query('INSERT INTO fields (name, type) VALUES ($1, $2)', [name, type]);
  for (const c of Object.values(CONTACTS)) {
    await db.query(
      `INSERT INTO contacts (email, status, attributes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)`,
      [
        c.email,
        c.status ?? 'subscribed',
        JSON.stringify(c.attributes ?? {}),
        daysAgo(c.createdDaysAgo),
        daysAgo(c.updatedDaysAgo ?? c.createdDaysAgo),
      ],
    );
  }
  for (const [key, members] of [
    ['newsletter', ['ana', 'ben', 'cara', 'kim']],
    ['customers', ['ana', 'dan']],
    ['empty', []],
  ] as const) {
    const { rows } = await db.query<{ id: string }>('INSERT INTO lists (name) VALUES ($1) RETURNING id::text', [key]);
    lists[key] = rows[0].id;
    for (const m of members) {
      await db.query('INSERT INTO list_members (list_id, contact_id) SELECT $1, id FROM contacts WHERE email = $2', [
        rows[0].id,
        CONTACTS[m].email,
      ]);
    }
  }
  const { rows } = await db.query<{ name: string; type: FieldType }>('SELECT name, type FROM fields');
  catalogue = { fields: new Map(rows.map((r) => [r.name, r.type])) };
});

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

/** Runs rules through validation, the compiler and Postgres; returns contact names. */
async function match(rules: unknown, firstParam = 1): Promise<string[]> {
  const filter = compileRules(parseRules(rules, catalogue), firstParam);
  const padding = Array.from({ length: firstParam - 1 }, () => null);
  const placeholders = padding.map((_v, i) => `$${i + 1}::text IS NULL`).join(' AND ');
  const { rows } = await db.query<{ email: string }>(
    `SELECT email FROM contacts c WHERE ${placeholders ? `${placeholders} AND ` : ''}(${filter.sql})`,
    [...padding, ...filter.params],
  );
  const byEmail = new Map(Object.entries(CONTACTS).map(([name, c]) => [c.email, name]));
  return rows.map((r) => byEmail.get(r.email) ?? r.email).sort();
}

const cond = (field: string, op: string, value?: unknown) =>
  value === undefined ? { field, op } : { field, op, value };
const all = (...items: unknown[]) => ({ all: items });

type Case = [string, unknown, string[]];

const CASES: Case[] = [
  // email: case-insensitive, LIKE metacharacters taken literally
  ['email eq ignores case', all(cond('email', 'eq', 'ANA@Example.COM')), ['ana']],
  ['email neq', all(cond('email', 'neq', 'ana@example.com')), except('ana')],
  ['email contains', all(cond('email', 'contains', 'GMAIL')), ['cara', 'dan']],
  ['email startsWith keeps _ literal', all(cond('email', 'startsWith', 'jo_')), ['joe']],
  ['email endsWith a domain', all(cond('email', 'endsWith', '@example.org')), ['eve', 'fay', 'gus']],
  [
    'email endsWith a parent domain',
    all(cond('email', 'endsWith', 'example.com')),
    ['ana', 'ben', 'hal', 'ivy', 'kim', 'lee', 'max', 'obrien'],
  ],
  [
    'email in',
    all(cond('email', 'in', ['ana@example.com', 'EVE.UPPER@EXAMPLE.ORG', 'nobody@example.com'])),
    ['ana', 'eve'],
  ],
  ['email with a quote is just a value', all(cond('email', 'eq', "o'brien@example.com")), ['obrien']],
  // status
  ['status eq', all(cond('status', 'eq', 'unsubscribed')), ['cara']],
  ['status neq', all(cond('status', 'neq', 'subscribed')), ['cara', 'dan', 'eve']],
  ['status in', all(cond('status', 'in', ['bounced', 'complained'])), ['dan', 'eve']],
  // created / updated time
  ['createdAt withinDays', all(cond('createdAt', 'withinDays', 7)), ['ana', 'cara', 'fay', 'gus']],
  ['createdAt olderThanDays', all(cond('createdAt', 'olderThanDays', 30)), ['ben', 'dan']],
  ['createdAt before an instant', all(cond('createdAt', 'before', daysAgo(100))), ['dan']],
  ['createdAt after an instant', all(cond('createdAt', 'after', daysAgo(3))), ['cara', 'fay', 'gus']],
  ['createdAt between instants', all(cond('createdAt', 'between', [daysAgo(11), daysAgo(4)])), ['ana', 'eve']],
  ['updatedAt withinDays', all(cond('updatedAt', 'withinDays', 3)), ['ben', 'cara', 'fay', 'gus']],
  // text attributes: eq is exact, pattern ops ignore case, neq includes unset
  ['text eq is exact', all(cond('attributes.country', 'eq', 'DE')), ['ana', 'ben']],
  ['text neq includes unset', all(cond('attributes.country', 'neq', 'DE')), except('ana', 'ben')],
  ['text contains ignores case', all(cond('attributes.country', 'contains', 'd')), ['ana', 'ben', 'hal']],
  ['text startsWith', all(cond('attributes.plan', 'startsWith', 'bus')), ['cara']],
  ['text endsWith', all(cond('attributes.plan', 'endsWith', 'O')), ['ana']],
  ['text in', all(cond('attributes.country', 'in', ['FR', 'US'])), ['cara', 'dan']],
  ['text set (null is unset)', all(cond('attributes.plan', 'set')), ['ana', 'ben', 'cara']],
  ['text notSet', all(cond('attributes.plan', 'notSet')), except('ana', 'ben', 'cara')],
  ['contains % and _ literally', all(cond('attributes.nickname', 'contains', '%_')), ['fay']],
  ['contains a backslash literally', all(cond('attributes.nickname', 'contains', '\\')), ['fay']],
  ['startsWith with %', all(cond('attributes.nickname', 'startsWith', '100%')), ['fay']],
  ['contains plain text', all(cond('attributes.nickname', 'contains', '100')), ['fay', 'gus']],
  // numbers: JSON numbers compared as numbers
  ['number eq', all(cond('attributes.score', 'eq', 50)), ['cara']],
  ['number neq includes unset', all(cond('attributes.score', 'neq', 50)), except('cara')],
  ['number lt', all(cond('attributes.score', 'lt', 10)), ['kim', 'max']],
  ['number lte', all(cond('attributes.score', 'lte', 10)), ['ben', 'kim', 'max']],
  ['number gt', all(cond('attributes.score', 'gt', 50)), ['ana', 'dan']],
  ['number gte', all(cond('attributes.score', 'gte', 50)), ['ana', 'cara', 'dan']],
  ['number between is inclusive', all(cond('attributes.score', 'between', [0, 50])), ['ben', 'cara', 'max']],
  ['number set', all(cond('attributes.score', 'set')), ['ana', 'ben', 'cara', 'dan', 'kim', 'max', 'stray']],
  // booleans
  ['boolean eq true', all(cond('attributes.vip', 'eq', true)), ['ana', 'kim']],
  ['boolean eq false', all(cond('attributes.vip', 'eq', false)), ['ben', 'max']],
  ['boolean neq true includes unset', all(cond('attributes.vip', 'neq', true)), except('ana', 'kim')],
  ['boolean notSet', all(cond('attributes.vip', 'notSet')), except('ana', 'ben', 'kim', 'max', 'stray')],
  // dates: a day alone is a whole UTC day
  ['date before a day', all(cond('attributes.signup', 'before', '2024-01-01')), ['cara']],
  ['date after a day excludes that day', all(cond('attributes.signup', 'after', '2024-01-15')), ['ben', 'kim', 'lee']],
  [
    'date after an instant',
    all(cond('attributes.signup', 'after', '2024-01-15T09:00:00Z')),
    ['ana', 'ben', 'kim', 'lee'],
  ],
  [
    'date after an instant with an offset',
    all(cond('attributes.signup', 'after', '2024-01-15T11:30:00+02:00')),
    ['ana', 'ben', 'kim', 'lee'],
  ],
  [
    'date between days includes both',
    all(cond('attributes.signup', 'between', ['2023-12-31', '2024-01-15'])),
    ['ana', 'cara'],
  ],
  ['date withinDays stops at now', all(cond('attributes.signup', 'withinDays', 7)), ['kim']],
  ['date olderThanDays', all(cond('attributes.signup', 'olderThanDays', 365)), ['ana', 'ben', 'cara']],
  ['date set', all(cond('attributes.signup', 'set')), ['ana', 'ben', 'cara', 'kim', 'lee']],
  // nesting and empty groups
  [
    'all of any',
    all(cond('attributes.country', 'eq', 'DE'), {
      any: [cond('attributes.vip', 'eq', true), cond('attributes.score', 'lt', 20)],
    }),
    ['ana', 'ben'],
  ],
  ['none negates', { none: [cond('status', 'eq', 'subscribed')] }, ['cara', 'dan', 'eve']],
  [
    'none counts a missing attribute as not matching',
    { none: [cond('attributes.score', 'gt', 20)] },
    except('ana', 'cara', 'dan'),
  ],
  ['none of none', { none: [{ none: [cond('attributes.vip', 'eq', true)] }] }, ['ana', 'kim']],
  [
    'any of several',
    { any: [cond('email', 'endsWith', 'gmail.com'), cond('attributes.country', 'eq', 'de')] },
    ['cara', 'dan', 'hal'],
  ],
  ['empty all matches everyone', { all: [] }, ALL],
  ['empty any matches no one', { any: [] }, []],
  ['empty none matches everyone', { none: [] }, ALL],
  ['all holding an empty any', all({ any: [] }), []],
  ['none holding an empty any', { none: [{ any: [] }] }, ALL],
  [
    'deep nesting',
    {
      all: [
        {
          any: [
            {
              all: [
                { any: [{ all: [{ any: [{ all: [{ any: [{ all: [cond('attributes.vip', 'eq', true)] }] }] }] }] }] },
              ],
            },
          ],
        },
      ],
    },
    ['ana', 'kim'],
  ],
  // hostile values are values
  ['SQL in a text value', all(cond('attributes.country', 'eq', "DE' OR '1'='1")), []],
  ['SQL in a pattern', all(cond('attributes.country', 'contains', "'; DROP TABLE contacts; --")), []],
  ['SQL in an email value', all(cond('email', 'eq', "x' OR 1=1 --")), []],
  ['JSON in a containment value', all(cond('attributes.country', 'eq', '", "vip": true, "x": "')), []],
];

describe('segment rules compiled to SQL', () => {
  it.each(CASES)('%s', async (_name, rules, expected) => {
    expect(await match(rules)).toEqual([...expected].sort());
  });

  it('matches list membership: inAny, inNone, an empty list', async () => {
    expect(await match(all(cond('lists', 'inAny', [lists.newsletter])))).toEqual(['ana', 'ben', 'cara', 'kim']);
    expect(await match(all(cond('lists', 'inAny', [lists.newsletter, Number(lists.customers)])))).toEqual([
      'ana',
      'ben',
      'cara',
      'dan',
      'kim',
    ]);
    expect(await match(all(cond('lists', 'inNone', [lists.newsletter])))).toEqual(
      except('ana', 'ben', 'cara', 'kim').sort(),
    );
    expect(await match(all(cond('lists', 'inAny', [lists.empty])))).toEqual([]);
    expect(await match({ none: [cond('lists', 'inAny', [lists.customers])] })).toEqual(except('ana', 'dan').sort());
  });

  it('negates never-NULL members with NOT (an anti-join) and others with IS NOT TRUE', async () => {
    const rules = { none: [cond('attributes.score', 'gt', 20), cond('lists', 'inAny', [lists.newsletter])] };
    const sql = compileRules(parseRules(rules, catalogue)).sql;
    expect(sql).toContain('NOT (EXISTS (SELECT 1 FROM list_members');
    expect(sql).toMatch(/\) IS NOT TRUE/);
    expect(await match(rules)).toEqual(except('ana', 'ben', 'cara', 'dan', 'kim').sort());
    expect(
      await match({ none: [{ all: [cond('email', 'contains', 'example'), cond('attributes.vip', 'neq', true)] }] }),
    ).toEqual(['ana', 'cara', 'dan', 'kim']);
    expect(
      await match({
        none: [{ any: [cond('attributes.plan', 'startsWith', 'f'), cond('status', 'neq', 'subscribed')] }],
      }),
    ).toEqual(except('ben', 'cara', 'dan', 'eve').sort());
  });

  it('numbers its parameters from firstParam', async () => {
    const rules = all(
      cond('attributes.country', 'eq', 'DE'),
      cond('attributes.score', 'gt', 5),
      cond('lists', 'inAny', [lists.newsletter]),
    );
    const filter = compileRules(parseRules(rules, catalogue), 4);
    expect(filter.sql).toMatch(/\$4::jsonb/);
    expect(filter.sql).toMatch(/\$6::bigint\[\]/);
    expect(filter.sql).not.toMatch(/\$[123]\b/);
    expect(filter.params).toHaveLength(3);
    expect(await match(rules, 4)).toEqual(['ana', 'ben']);
  });

  it('never puts a value into the SQL text', () => {
    const hostile = "zz'); DROP TABLE contacts; --";
    const rules = {
      any: [
        cond('email', 'contains', hostile),
        cond('attributes.country', 'eq', hostile),
        cond('attributes.plan', 'in', [hostile]),
        cond('attributes.nickname', 'startsWith', hostile),
        cond('attributes.signup', 'before', '2024-01-01'),
      ],
    };
    const filter = compileRules(parseRules(rules, catalogue));
    expect(filter.sql).not.toContain('DROP');
    expect(filter.sql).not.toContain('zz');
    expect(filter.sql).not.toContain('2024');
  });

  it('leaves the contacts table in place after hostile values', async () => {
    await match({ any: [cond('attributes.country', 'eq', "'); DROP TABLE contacts; --")] });
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM contacts');
    expect(Number(rows[0].n)).toBe(ALL.length);
  });
});

describe('segment rule validation', () => {
  const reject = (rules: unknown): Record<string, string> => {
    try {
      compileRules(parseRules(rules, catalogue));
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid' });
      return (error as { fields: Record<string, string> }).fields;
    }
    throw new Error('expected the rules to be rejected');
  };

  const REJECTIONS: [string, unknown, string, RegExp][] = [
    ['an unknown field', all(cond('phone', 'eq', '1')), 'rules.all[0].field', /unknown field/],
    [
      'SQL in an attribute name',
      all(cond("attributes.x'; DROP TABLE contacts;--", 'eq', 'x')),
      'rules.all[0].field',
      /not an attribute name/,
    ],
    ['an undefined attribute', all(cond('attributes.shoe_size', 'eq', 42)), 'rules.all[0].field', /no custom field/],
    ['an unknown op', all(cond('email', 'like', '%')), 'rules.all[0].op', /does not apply/],
    ['SQL as an op', all(cond('email', "= '' OR 1=1 --", 'x')), 'rules.all[0].op', /does not apply/],
    ['an op of another type', all(cond('attributes.score', 'contains', '5')), 'rules.all[0].op', /number attribute/],
    ['gt on a boolean', all(cond('attributes.vip', 'gt', true)), 'rules.all[0].op', /boolean/],
    ['between on text', all(cond('attributes.country', 'between', ['a', 'b'])), 'rules.all[0].op', /text/],
    ['an op that is not a string', all({ field: 'email', op: { $ne: 1 }, value: 'x' }), 'rules.all[0].op', /string/],
    ['a number given as text', all(cond('attributes.score', 'gt', '5')), 'rules.all[0].value', /number/],
    ['a boolean given as text', all(cond('attributes.vip', 'eq', 'true')), 'rules.all[0].value', /true or false/],
    ['a value list that is not a list', all(cond('attributes.plan', 'in', 'pro')), 'rules.all[0].value', /list/],
    ['a non-text item in a list', all(cond('attributes.plan', 'in', ['pro', 3])), 'rules.all[0].value[1]', /string/],
    ['a bad date', all(cond('attributes.signup', 'after', 'yesterday')), 'rules.all[0].value', /date/],
    ['an impossible date', all(cond('createdAt', 'before', '2024-02-30')), 'rules.all[0].value', /not a valid date/],
    [
      'an impossible day in a date-time',
      all(cond('createdAt', 'after', '2024-02-30T10:00Z')),
      'rules.all[0].value',
      /not a valid date/,
    ],
    [
      'an impossible hour',
      all(cond('createdAt', 'after', '2024-02-03T25:00Z')),
      'rules.all[0].value',
      /not a valid date-time/,
    ],
    ['a day that ends in year 10000', all(cond('createdAt', 'after', '9999-12-31')), 'rules.all[0].value', /9999/],
    [
      'an instant in year 10000 in UTC',
      all(cond('updatedAt', 'before', '9999-12-31T23:00-05:00')),
      'rules.all[0].value',
      /9999/,
    ],
    ['year 0', all(cond('attributes.signup', 'before', '0000-06-01')), 'rules.all[0].value', /0001/],
    [
      'a range ending past year 9999',
      all(cond('createdAt', 'between', ['2024-01-01', '9999-12-31'])),
      'rules.all[0].value[1]',
      /9999/,
    ],
    ['a missing value', all(cond('email', 'eq')), 'rules.all[0].value', /missing/],
    ['a date-time without a zone', all(cond('createdAt', 'before', '2024-02-03T10:00')), 'rules.all[0].value', /zone/],
    [
      'a reversed date range',
      all(cond('createdAt', 'between', ['2024-02-03', '2024-01-01'])),
      'rules.all[0].value',
      /after/,
    ],
    ['a reversed number range', all(cond('attributes.score', 'between', [5, 1])), 'rules.all[0].value', /below/],
    ['a range that is not a pair', all(cond('attributes.score', 'between', [1])), 'rules.all[0].value', /pair/],
    ['fractional days', all(cond('createdAt', 'withinDays', 1.5)), 'rules.all[0].value', /whole number/],
    ['negative days', all(cond('createdAt', 'olderThanDays', -3)), 'rules.all[0].value', /whole number/],
    ['an unknown status', all(cond('status', 'eq', 'active')), 'rules.all[0].value', /one of/],
    ['a list id that is not an id', all(cond('lists', 'inAny', ['1 OR 1=1'])), 'rules.all[0].value[0]', /list id/],
    ['an empty list of lists', all(cond('lists', 'inNone', [])), 'rules.all[0].value', /at least one/],
    ['a value on set', all(cond('attributes.plan', 'set', 'x')), 'rules.all[0].value', /no value/],
    ['an empty pattern', all(cond('email', 'contains', '')), 'rules.all[0].value', /empty/],
    [
      'an extra key on a condition',
      all({ field: 'email', op: 'eq', value: 'a@b.io', sql: '1=1' }),
      'rules.all[0].sql',
      /only/,
    ],
    ['a group with two modes', { all: [], any: [] }, 'rules.any', /exactly one/],
    ['a group that is not a list', { all: {} }, 'rules.all', /list/],
    ['a root that is a condition', cond('email', 'eq', 'a@example.com'), 'rules', /must be a group/],
    ['a root that is a list', [], 'rules', /must be a group/],
    ['a node that is a string', all('email = 1'), 'rules.all[0]', /group or a condition/],
    [
      'a bad node deep down',
      all(cond('email', 'eq', 'a@example.com'), { any: [{ all: [cond('status', 'eq', 'gone')] }] }),
      'rules.all[1].any[0].all[0].value',
      /one of/,
    ],
    [
      'a bad op in the issue example',
      all(cond('email', 'eq', 'a@example.com'), cond('email', 'eq', 'b@example.com'), {
        any: [cond('email', 'is', 'x')],
      }),
      'rules.all[2].any[0].op',
      /does not apply/,
    ],
    [
      'engagement with a bad campaign id',
      all(cond('engagement', 'opened', { campaignId: 'abc' })),
      'rules.all[0].value.campaignId',
      /campaign id/,
    ],
    [
      'engagement with an unknown key',
      all(cond('engagement', 'clicked', { since: 3 })),
      'rules.all[0].value.since',
      /only/,
    ],
    ['an unknown engagement op', all(cond('engagement', 'bounced', {})), 'rules.all[0].op', /engagement/],
    [
      'opens without the tracking lib',
      all(cond('status', 'eq', 'subscribed'), cond('engagement', 'notOpened', { campaignId: '3', withinDays: 30 })),
      'rules.all[1]',
      /campaign tracking/,
    ],
    ['a text value over the limit', all(cond('attributes.plan', 'eq', 'x'.repeat(1001))), 'rules.all[0].value', /1000/],
    [
      'too many items',
      all(
        cond(
          'attributes.plan',
          'in',
          Array.from({ length: 1001 }, (_v, i) => `p${i}`),
        ),
      ),
      'rules.all[0].value',
      /1000/,
    ],
  ];

  it.each(REJECTIONS)('rejects %s', (_name, rules, path, reason) => {
    const fields = reject(rules);
    expect(Object.keys(fields)).toContain(path);
    expect(fields[path]).toMatch(reason);
  });

  it('reports every bad node, not just the first', () => {
    const fields = reject(all(cond('phone', 'eq', 1), cond('status', 'eq', 'x'), cond('attributes.vip', 'eq', 1)));
    expect(Object.keys(fields).sort()).toEqual(['rules.all[0].field', 'rules.all[1].value', 'rules.all[2].value']);
  });

  it('bounds nesting depth and size', () => {
    let deep: unknown = cond('email', 'contains', 'a');
    for (let i = 0; i < 10; i += 1) deep = { all: [deep] };
    expect(() => parseRules(deep, catalogue)).not.toThrow();
    expect(Object.values(reject({ any: [deep] })).join()).toMatch(/nested at most 10/);
    const wide = { any: Array.from({ length: 200 }, () => cond('email', 'contains', 'a')) };
    expect(Object.values(reject(wide)).join()).toMatch(/at most 200/);
  });
});

describe('engagement conditions', () => {
  /** Writes what the delivery lib would, recording what it was asked. */
  const recording = () => {
    const asked: { contact: string; test: EngagementTest }[] = [];
    const source: EngagementSource = {
      received(contact, test, bind) {
        asked.push({ contact, test });
        const where = [test.campaignId && `campaign = ${bind(test.campaignId, 'bigint')}`];
        if (test.withinDays !== undefined) where.push(`days = ${bind(test.withinDays, 'int')}`);
        return `EXISTS (received ${contact} ${where.filter(Boolean).join(' ')})`;
      },
    };
    return { source, asked };
  };
  const compile = (rules: unknown, source?: EngagementSource, firstParam = 1) =>
    compileRules(parseRules(rules, catalogue), firstParam, source);
  const refusal = (rules: unknown, source?: EngagementSource): Record<string, string> => {
    try {
      compile(rules, source);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'invalid' });
      return (error as { fields: Record<string, string> }).fields;
    }
    throw new Error('expected the rules to be rejected');
  };

  it('asks the registered source for received, about the contact, its values bound after the others', () => {
    const { source, asked } = recording();
    const filter = compile(
      all(
        cond('status', 'eq', 'subscribed'),
        cond('engagement', 'received', { campaignId: 7, withinDays: 30 }),
        cond('engagement', 'received'),
      ),
      source,
      3,
    );
    expect(asked).toEqual([
      { contact: 'c.id', test: { campaignId: '7', withinDays: 30 } },
      { contact: 'c.id', test: { campaignId: undefined, withinDays: undefined } },
    ]);
    expect(filter.sql).toBe(
      '(c.status = $3::text AND EXISTS (received c.id campaign = $4::bigint days = $5::int) AND EXISTS (received c.id ))',
    );
    expect(filter.params).toEqual(['subscribed', '7', 30]);
  });

  it('negates received in a none group with a plain NOT: it is never NULL', () => {
    const { source } = recording();
    const filter = compile({ none: [cond('engagement', 'received', { campaignId: '2' })] }, source);
    expect(filter.sql).toBe('NOT (EXISTS (received c.id campaign = $1::bigint))');
  });

  it('refuses received at its path when no delivery lib registered a source', () => {
    const fields = refusal(all(cond('email', 'contains', 'a'), cond('engagement', 'received', {})));
    expect(fields).toEqual({ 'rules.all[1]': expect.stringMatching(/campaign delivery/) });
  });

  it('refuses opens and clicks when only delivery registered its part', () => {
    const { source, asked } = recording();
    for (const op of ['opened', 'clicked', 'notOpened', 'notClicked']) {
      expect(refusal(all(cond('engagement', op, { withinDays: 3 })), source)).toEqual({
        'rules.all[0]': expect.stringMatching(new RegExp(`^${op} conditions need campaign tracking`)),
      });
    }
    expect(asked).toEqual([]);
  });

  it('asks tracking for opened and clicked, and writes notOpened as received and not opened', () => {
    const { source, asked } = recording();
    const tracked: EngagementSource = {
      ...source,
      opened: (contact, test, bind) =>
        `EXISTS (opened ${contact}${test.campaignId ? ` campaign = ${bind(test.campaignId, 'bigint')}` : ''})`,
      clicked: (contact, test, bind) =>
        `EXISTS (clicked ${contact}${test.withinDays ? ` days = ${bind(test.withinDays, 'int')}` : ''})`,
    };
    expect(compile(all(cond('engagement', 'opened', { campaignId: 5 })), tracked).sql).toBe(
      'EXISTS (opened c.id campaign = $1::bigint)',
    );
    expect(compile(all(cond('engagement', 'clicked', { withinDays: 7 })), tracked)).toEqual({
      sql: 'EXISTS (clicked c.id days = $1::int)',
      params: [7],
    });
    expect(compile(all(cond('engagement', 'notOpened', { campaignId: '5' })), tracked)).toEqual({
      sql: '(EXISTS (received c.id campaign = $1::bigint) AND NOT EXISTS (opened c.id campaign = $2::bigint))',
      params: ['5', '5'],
    });
    expect(asked).toEqual([{ contact: 'c.id', test: { campaignId: '5', withinDays: undefined } }]);
    // Opened and clicked alone need no delivery lib; not opened does.
    const onlyTracking: EngagementSource = { opened: tracked.opened, clicked: tracked.clicked };
    expect(compile(all(cond('engagement', 'opened')), onlyTracking).sql).toBe('EXISTS (opened c.id)');
    expect(refusal(all(cond('engagement', 'notClicked')), onlyTracking)).toEqual({
      'rules.all[0]': expect.stringMatching(/^notClicked conditions need campaign delivery/),
    });
  });
});
