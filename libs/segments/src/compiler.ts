import { invalid, isoTimeSql, likeEscape } from '@herald/common';
import { type ContactFilter, FIELD_NAME_PATTERN, inAnyListSql } from '@herald/contacts';
import type { EngagementSource } from './engagement.js';
import type { Condition, GroupNode, RuleNode, TimeTest } from './rules.js';

/**
 * Compiles a validated rule tree into one boolean SQL expression over
 * `contacts c`. Column names, operators and JSON keys come only from the
 * code below (attribute keys are re-checked against the field-name pattern);
 * every value a marketer typed is a bound `$n` parameter with an explicit
 * cast. The expression is meant for a WHERE clause: a comparison on an
 * attribute a contact lacks yields NULL, which WHERE treats as false. A
 * `none` group negates such members with `IS NOT TRUE` so that NULL counts as
 * "did not match" there too, and members that are never NULL with a plain
 * NOT, which lets Postgres turn `NOT EXISTS` into an anti-join.
 *
 * Shapes chosen for the indexes of migration 1764300400000-Segments:
 * attribute equality as jsonb containment (GIN jsonb_path_ops), times as
 * plain comparisons on `created_at` (btree; `updated_at` is scanned), email prefix
 * as LIKE on `lower(email)` (the unique key, text_pattern_ops; a suffix is scanned),
 * lists as EXISTS on `list_members` (primary key and contact index).
 *
 * Engagement conditions are written by `engagement`, the delivery lib's
 * `EngagementSource`; without one they are refused at their path.
 */
export function compileRules(tree: GroupNode, firstParam = 1, engagement?: EngagementSource): ContactFilter {
  const params = new Params(firstParam);
  return { sql: node(tree, { params, engagement }).sql, params: params.values };
}

/** What compiling a tree needs besides the tree. */
interface Context {
  params: Params;
  engagement: EngagementSource | undefined;
}

/** Bound values, numbered from `first`; `add` returns the typed placeholder. */
class Params {
  readonly values: unknown[] = [];
  constructor(private readonly first: number) {}

  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.first + this.values.length - 1}::${cast}`;
  }
}

interface Fragment {
  sql: string;
  /** Whether the expression can be NULL for some contact (see `mayBeNull`). */
  nullable: boolean;
}

function node(n: RuleNode, context: Context): Fragment {
  if (n.node === 'condition') {
    return { sql: condition(n.condition, n.path, context), nullable: mayBeNull(n.condition) };
  }
  if (n.children.length === 0) return { sql: n.mode === 'any' ? 'FALSE' : 'TRUE', nullable: false };
  const parts = n.children.map((child) => node(child, context));
  const nullable = parts.some((part) => part.nullable);
  switch (n.mode) {
    case 'all':
      return parts.length === 1 ? parts[0] : { sql: `(${parts.map((x) => x.sql).join(' AND ')})`, nullable };
    case 'any':
      return parts.length === 1 ? parts[0] : { sql: `(${parts.map((x) => x.sql).join(' OR ')})`, nullable };
    case 'none': {
      const negated = parts.map((x) => (x.nullable ? `(${x.sql}) IS NOT TRUE` : `NOT (${x.sql})`));
      return { sql: negated.length === 1 ? negated[0] : `(${negated.join(' AND ')})`, nullable: false };
    }
  }
}

/**
 * Only comparisons that read an attribute value can be NULL: columns are
 * NOT NULL, EXISTS and containment are always true or false, and `neq` /
 * `set` are written to be NULL-free.
 */
function mayBeNull(c: Condition): boolean {
  if (c.kind !== 'attribute') return false;
  switch (c.type) {
    case 'text':
    case 'number':
      return c.op !== 'eq' && c.op !== 'neq';
    case 'boolean':
      return false;
    case 'date':
      return true;
  }
}

/** The JSON key of an allow-listed attribute as an SQL literal. */
function key(name: string): string {
  // Validation already guarantees this; refusing here keeps the compiler safe on its own.
  if (!FIELD_NAME_PATTERN.test(name)) throw new Error(`refusing to compile attribute name ${JSON.stringify(name)}`);
  return `'${name}'`;
}

function condition(c: Condition, path: string, { params: p, engagement: source }: Context): string {
  switch (c.kind) {
    case 'email':
      return email(c, p);
    case 'status':
      return c.op === 'in'
        ? `c.status = ANY(${p.add(c.value, 'text[]')})`
        : `c.status ${c.op === 'eq' ? '=' : '<>'} ${p.add(c.value, 'text')}`;
    case 'time':
      return time(`c.${c.column}`, c.test, p, 'timestamptz');
    case 'lists': {
      const member = inAnyListSql(p.add(c.listIds, 'bigint[]'));
      return c.op === 'inAny' ? member : `NOT ${member}`;
    }
    case 'engagement':
      return engagement(c, path, p, source);
    case 'presence':
      // A JSON null counts as unset, like a missing key.
      return `coalesce(jsonb_typeof(c.attributes->${key(c.name)}), 'null') ${c.op === 'set' ? '<>' : '='} 'null'`;
    case 'attribute':
      return attribute(c, p);
  }
}

function email(c: Extract<Condition, { kind: 'email' }>, p: Params): string {
  switch (c.op) {
    case 'eq':
      return `lower(c.email) = lower(${p.add(c.value, 'text')})`;
    case 'neq':
      return `lower(c.email) <> lower(${p.add(c.value, 'text')})`;
    case 'in':
      return `lower(c.email) IN (SELECT lower(v) FROM unnest(${p.add(c.value, 'text[]')}) v)`;
    case 'contains':
      return `lower(c.email) LIKE lower(${p.add(`%${likeEscape(c.value)}%`, 'text')})`;
    case 'startsWith':
      return `lower(c.email) LIKE lower(${p.add(`${likeEscape(c.value)}%`, 'text')})`;
    case 'endsWith':
      // Scanned: a domain usually matches too large a share of contacts for an index to pay (migration 1764300600000).
      return `lower(c.email) LIKE lower(${p.add(`%${likeEscape(c.value)}`, 'text')})`;
  }
}

/**
 * Ranges and relative days over a timestamptz column, or over an attribute
 * date stored as a UTC ISO string (compared in the C collation, where string
 * order is time order whatever the database locale).
 */
function time(expr: string, test: TimeTest, p: Params, kind: 'timestamptz' | 'text'): string {
  const bound = (value: string) => p.add(value, kind);
  // On a column the bound stays a plain expression so the planner can estimate it and use the btree.
  // On an attribute (always a row-by-row filter) it becomes a one-row subquery, which Postgres
  // evaluates once per query instead of formatting the same timestamp for every contact.
  const point = (ts: string) => (kind === 'timestamptz' ? ts : `(SELECT ${isoTimeSql(ts)})`);
  switch (test.op) {
    case 'range': {
      const parts: string[] = [];
      if (test.gt !== undefined) parts.push(`${expr} > ${bound(test.gt)}`);
      if (test.gte !== undefined) parts.push(`${expr} >= ${bound(test.gte)}`);
      if (test.lt !== undefined) parts.push(`${expr} < ${bound(test.lt)}`);
      if (test.lte !== undefined) parts.push(`${expr} <= ${bound(test.lte)}`);
      return parts.length === 1 ? parts[0] : `(${parts.join(' AND ')})`;
    }
    case 'withinDays': {
      const since = `${expr} >= ${point(`now() - make_interval(days => ${p.add(test.days, 'int')})`)}`;
      // A date attribute may lie in the future (a renewal date); "within the last N days" stops at now.
      return kind === 'timestamptz' ? since : `(${since} AND ${expr} <= ${point('now()')})`;
    }
    case 'olderThanDays':
      return `${expr} < ${point(`now() - make_interval(days => ${p.add(test.days, 'int')})`)}`;
  }
}

type Attribute<T> = Extract<Condition, { kind: 'attribute'; type: T }>;

function attribute(c: Extract<Condition, { kind: 'attribute' }>, p: Params): string {
  const k = key(c.name);
  // Containment of {"name": value}: the GIN index answers it without reading rows.
  const contains = (value: string | number | boolean) =>
    `c.attributes @> ${p.add(JSON.stringify({ [c.name]: value }), 'jsonb')}`;
  switch (c.type) {
    case 'text':
      return textAttribute(c, `(c.attributes->>${k})`, contains, p);
    case 'number':
      return numberAttribute(c, `c.attributes->${k}`, contains, p);
    case 'boolean':
      return c.op === 'eq' ? contains(c.value) : `NOT (${contains(c.value)})`;
    case 'date':
      return time(`(c.attributes->>${k}) COLLATE "C"`, c.test, p, 'text');
  }
}

function textAttribute(c: Attribute<'text'>, value: string, contains: (v: string) => string, p: Params): string {
  switch (c.op) {
    case 'eq':
      return contains(c.value);
    case 'neq':
      return `NOT (${contains(c.value)})`;
    case 'in':
      return `${value} = ANY(${p.add(c.value, 'text[]')})`;
    case 'contains':
      return `${value} ILIKE ${p.add(`%${likeEscape(c.value)}%`, 'text')}`;
    case 'startsWith':
      return `${value} ILIKE ${p.add(`${likeEscape(c.value)}%`, 'text')}`;
    case 'endsWith':
      return `${value} ILIKE ${p.add(`%${likeEscape(c.value)}`, 'text')}`;
  }
}

/**
 * Compared as jsonb, number against number (jsonb orders numbers by value),
 * with a type check so that a stray non-number never takes part. Cheaper per
 * row than a cast to numeric, and never raises a cast error.
 */
function numberAttribute(c: Attribute<'number'>, json: string, contains: (v: number) => string, p: Params): string {
  const num = (v: number) => p.add(JSON.stringify(v), 'jsonb');
  const isNumber = `jsonb_typeof(${json}) = 'number'`;
  switch (c.op) {
    case 'eq':
      return contains(c.value);
    case 'neq':
      return `NOT (${contains(c.value)})`;
    case 'lt':
      return `(${json} < ${num(c.value)} AND ${isNumber})`;
    case 'lte':
      return `(${json} <= ${num(c.value)} AND ${isNumber})`;
    case 'gt':
      return `(${json} > ${num(c.value)} AND ${isNumber})`;
    case 'gte':
      return `(${json} >= ${num(c.value)} AND ${isNumber})`;
    case 'between':
      return `(${json} >= ${num(c.value[0])} AND ${json} <= ${num(c.value[1])} AND ${isNumber})`;
  }
}

/**
 * Engagement: `received` is an EXISTS over the messages the delivery lib
 * records, `opened` and `clicked` EXISTS over the first opens and clicks
 * the tracking lib records, each written by its lib (never NULL, so a
 * `none` group turns them into plain NOTs, anti-joins). `notOpened` and
 * `notClicked` mean "received, and did not open / click": a contact who
 * was never sent the campaign has not declined to open it. A condition
 * whose lib is not loaded in this process is refused at its path.
 */
function engagement(
  c: Extract<Condition, { kind: 'engagement' }>,
  path: string,
  p: Params,
  source: EngagementSource | undefined,
): string {
  const refuse = (reason: string) => invalid(`The segment rules are not valid: ${path}: ${reason}`, { [path]: reason });
  const test = { campaignId: c.campaignId, withinDays: c.withinDays };
  const bind = (value: unknown, cast: string) => p.add(value, cast);
  const received = source?.received;
  if (c.op === 'received') {
    if (received === undefined)
      throw refuse('received conditions need campaign delivery, which this Herald process does not run');
    return received('c.id', test, bind);
  }
  const tracked = c.op === 'opened' || c.op === 'notOpened' ? source?.opened : source?.clicked;
  if (tracked === undefined) {
    throw refuse(
      `${c.op} conditions need campaign tracking (opens and clicks), which this Herald process does not run`,
    );
  }
  if (c.op === 'opened' || c.op === 'clicked') return tracked('c.id', test, bind);
  if (received === undefined)
    throw refuse(`${c.op} conditions need campaign delivery, which this Herald process does not run`);
  // With withinDays: received something in those days and opened (clicked) nothing first opened in them.
  return `(${received!('c.id', test, bind)} AND NOT ${tracked('c.id', test, bind)})`;
}
