import { invalid } from '@herald/common';

/**
 * The segment rule tree: the JSON a marketer builds, and the validated form
 * the compiler reads. Validation is hand-written rather than a schema library
 * so that every error names the exact JSON path of the node at fault
 * (`rules.all[2].any[0].op`) with a sentence a marketer can act on.
 */

/** Declared types of custom attributes (`fields.type`). */
export type AttributeType = 'text' | 'number' | 'boolean' | 'date';
export const ATTRIBUTE_TYPES: readonly AttributeType[] = ['text', 'number', 'boolean', 'date'];
export const CONTACT_STATUSES = ['subscribed', 'unsubscribed', 'bounced', 'complained'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

/** Same shape as `fields.name`; re-checked before a name reaches SQL. */
export const ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

export const LIMITS = {
  /** Groups nested inside each other, the root group included. */
  depth: 10,
  /** Groups and conditions in one tree. */
  nodes: 200,
  /** Items of an `in` / `inAny` / `inNone` value. */
  items: 1000,
  /** Characters of one text value. */
  text: 1000,
  /** Largest `withinDays` / `olderThanDays` (a century). */
  days: 36_500,
} as const;

export type GroupMode = 'all' | 'any' | 'none';
const GROUP_MODES: readonly GroupMode[] = ['all', 'any', 'none'];

/**
 * A time test, normalised: `before`, `after` and `between` all become a
 * range over UTC instants (ISO strings) so that the compiler has one shape.
 */
export type TimeTest =
  | { op: 'range'; gt?: string; gte?: string; lt?: string; lte?: string }
  | { op: 'withinDays' | 'olderThanDays'; days: number };

export type EngagementOp = 'received' | 'opened' | 'clicked' | 'notOpened' | 'notClicked';

export type Condition =
  | { kind: 'email'; op: 'eq' | 'neq' | 'contains' | 'startsWith' | 'endsWith'; value: string }
  | { kind: 'email'; op: 'in'; value: string[] }
  | { kind: 'status'; op: 'eq' | 'neq'; value: ContactStatus }
  | { kind: 'status'; op: 'in'; value: ContactStatus[] }
  | { kind: 'time'; column: 'created_at' | 'updated_at'; test: TimeTest }
  | { kind: 'lists'; op: 'inAny' | 'inNone'; listIds: string[] }
  | { kind: 'engagement'; op: EngagementOp; campaignId?: string; withinDays?: number }
  | { kind: 'presence'; name: string; type: AttributeType; op: 'set' | 'notSet' }
  | {
      kind: 'attribute';
      name: string;
      type: 'text';
      op: 'eq' | 'neq' | 'contains' | 'startsWith' | 'endsWith';
      value: string;
    }
  | { kind: 'attribute'; name: string; type: 'text'; op: 'in'; value: string[] }
  | { kind: 'attribute'; name: string; type: 'number'; op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte'; value: number }
  | { kind: 'attribute'; name: string; type: 'number'; op: 'between'; value: [number, number] }
  | { kind: 'attribute'; name: string; type: 'boolean'; op: 'eq' | 'neq'; value: boolean }
  | { kind: 'attribute'; name: string; type: 'date'; op: 'time'; test: TimeTest };

export type RuleNode =
  | { node: 'group'; mode: GroupMode; children: RuleNode[]; path: string }
  | { node: 'condition'; condition: Condition; path: string };

export type GroupNode = Extract<RuleNode, { node: 'group' }>;

/** What the rules may refer to: the declared custom attributes. */
export interface RuleCatalogue {
  fields: ReadonlyMap<string, AttributeType>;
}

/** Ops by the kind of thing a condition tests; the allow-list the API documents. */
export const OPS = {
  email: ['eq', 'neq', 'contains', 'startsWith', 'endsWith', 'in'],
  status: ['eq', 'neq', 'in'],
  time: ['before', 'after', 'between', 'withinDays', 'olderThanDays'],
  lists: ['inAny', 'inNone'],
  engagement: ['received', 'opened', 'clicked', 'notOpened', 'notClicked'],
  text: ['eq', 'neq', 'contains', 'startsWith', 'endsWith', 'in', 'set', 'notSet'],
  number: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'set', 'notSet'],
  boolean: ['eq', 'neq', 'set', 'notSet'],
  date: ['before', 'after', 'between', 'withinDays', 'olderThanDays', 'set', 'notSet'],
} as const;

const BUILT_IN_FIELDS = ['email', 'status', 'createdAt', 'updatedAt', 'lists', 'engagement'];
// A date alone, or a date-time with an explicit zone (Z or ±hh:mm).
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;
const ID = /^[1-9][0-9]{0,17}$/;

class Invalid extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string =>
  v === undefined ? 'missing' : v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`;
const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/**
 * Validates `input` against the rule format and the catalogue; returns the
 * typed tree or throws `invalid` with one entry per bad node in `fields`,
 * keyed by its path under `root`.
 */
export function parseRules(input: unknown, catalogue: RuleCatalogue, root = 'rules'): GroupNode {
  const parser = new RuleParser(catalogue);
  const tree = parser.root(input, root);
  if (Object.keys(parser.errors).length > 0 || !tree) {
    const [[firstPath, firstReason]] = Object.entries(parser.errors);
    throw invalid(`The segment rules are not valid: ${firstPath}: ${firstReason}`, parser.errors);
  }
  return tree;
}

class RuleParser {
  readonly errors: Record<string, string> = {};
  private nodes = 0;

  constructor(private readonly catalogue: RuleCatalogue) {}

  root(input: unknown, path: string): GroupNode | undefined {
    if (!isRecord(input) || !GROUP_MODES.some((m) => m in input)) {
      this.errors[path] = 'must be a group: { "all": [...] }, { "any": [...] } or { "none": [...] }';
      return undefined;
    }
    return this.guard(path, () => this.group(input, path, 1));
  }

  /** Records the first problem of a node and lets its siblings be checked too. */
  private guard<T>(path: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      if (Object.keys(this.errors).length < 50) this.errors[error.path || path] = error.reason;
      return undefined;
    }
  }

  private count(path: string): void {
    this.nodes += 1;
    if (this.nodes > LIMITS.nodes)
      throw new Invalid(path, `a segment may hold at most ${LIMITS.nodes} groups and conditions`);
  }

  private node(input: unknown, path: string, depth: number): RuleNode | undefined {
    if (!isRecord(input)) throw new Invalid(path, `must be a group or a condition, not ${describe(input)}`);
    if ('field' in input || 'op' in input) return this.condition(input, path);
    if (GROUP_MODES.some((m) => m in input)) return this.group(input, path, depth + 1);
    throw new Invalid(
      path,
      'must be a group ({ "all" | "any" | "none": [...] }) or a condition ({ field, op, value })',
    );
  }

  private group(input: Record<string, unknown>, path: string, depth: number): GroupNode | undefined {
    this.count(path);
    const keys = Object.keys(input);
    if (keys.length !== 1) {
      const extra = keys.find((k) => !GROUP_MODES.includes(k as GroupMode)) ?? keys[1];
      throw new Invalid(`${path}.${extra}`, 'a group holds exactly one of "all", "any" or "none" and nothing else');
    }
    const mode = keys[0] as GroupMode;
    const items = input[mode];
    const itemsPath = `${path}.${mode}`;
    if (!Array.isArray(items))
      throw new Invalid(itemsPath, `must be a list of groups and conditions, not ${describe(items)}`);
    if (depth > LIMITS.depth) throw new Invalid(path, `groups may be nested at most ${LIMITS.depth} deep`);
    const children: RuleNode[] = [];
    let ok = true;
    items.forEach((item, i) => {
      const child = this.guard(`${itemsPath}[${i}]`, () => this.node(item, `${itemsPath}[${i}]`, depth));
      if (child) children.push(child);
      else ok = false;
    });
    return ok ? { node: 'group', mode, children, path } : undefined;
  }

  private condition(input: Record<string, unknown>, path: string): RuleNode {
    this.count(path);
    for (const key of Object.keys(input)) {
      if (key !== 'field' && key !== 'op' && key !== 'value')
        throw new Invalid(`${path}.${key}`, 'a condition holds only "field", "op" and "value"');
    }
    const { field, op } = input;
    if (typeof field !== 'string') throw new Invalid(`${path}.field`, `must be a string, not ${describe(field)}`);
    if (typeof op !== 'string') throw new Invalid(`${path}.op`, `must be a string, not ${describe(op)}`);
    const at = { path, op, value: input.value, hasValue: 'value' in input };
    return { node: 'condition', condition: this.conditionOf(field, at), path };
  }

  private conditionOf(field: string, at: At): Condition {
    switch (field) {
      case 'email': {
        const op = allowed(at, OPS.email, 'email');
        if (op === 'in') return { kind: 'email', op, value: textList(at) };
        return { kind: 'email', op, value: text(at, 1) };
      }
      case 'status': {
        const op = allowed(at, OPS.status, 'status');
        if (op === 'in')
          return { kind: 'status', op, value: textList(at).map((s, i) => status(s, `${at.path}.value[${i}]`)) };
        return { kind: 'status', op, value: status(text(at, 1), `${at.path}.value`) };
      }
      case 'createdAt':
      case 'updatedAt':
        return {
          kind: 'time',
          column: field === 'createdAt' ? 'created_at' : 'updated_at',
          test: timeTest(at, allowed(at, OPS.time, field)),
        };
      case 'lists': {
        const op = allowed(at, OPS.lists, 'lists');
        const ids = list(at, 1).map((id, i) => listId(id, `${at.path}.value[${i}]`));
        return { kind: 'lists', op, listIds: [...new Set(ids)] };
      }
      case 'engagement':
        return engagement(at, allowed(at, OPS.engagement, 'engagement'));
      default:
        return this.attribute(field, at);
    }
  }

  private attribute(field: string, at: At): Condition {
    const fieldPath = `${at.path}.field`;
    if (!field.startsWith('attributes.')) {
      throw new Invalid(
        fieldPath,
        `unknown field ${quote(field)}; use one of ${BUILT_IN_FIELDS.join(', ')} or attributes.<name>`,
      );
    }
    const name = field.slice('attributes.'.length);
    if (!ATTRIBUTE_NAME.test(name)) throw new Invalid(fieldPath, `${quote(name)} is not an attribute name`);
    const type = this.catalogue.fields.get(name);
    if (!type) throw new Invalid(fieldPath, `no custom field named ${quote(name)} is defined`);
    const base = { kind: 'attribute' as const, name };
    switch (type) {
      case 'text': {
        const op = allowed(at, OPS.text, `a text attribute`);
        if (op === 'set' || op === 'notSet') return { kind: 'presence', name, type, op: noValue(at, op) };
        if (op === 'in') return { ...base, type, op, value: textList(at) };
        return { ...base, type, op, value: text(at, op === 'eq' || op === 'neq' ? 0 : 1) };
      }
      case 'number': {
        const op = allowed(at, OPS.number, 'a number attribute');
        if (op === 'set' || op === 'notSet') return { kind: 'presence', name, type, op: noValue(at, op) };
        if (op === 'between') {
          const value = pair(at, number);
          if (value[1] < value[0]) throw new Invalid(`${at.path}.value`, 'the end must not be below the start');
          return { ...base, type, op, value };
        }
        return { ...base, type, op, value: number(at.value, `${at.path}.value`) };
      }
      case 'boolean': {
        const op = allowed(at, OPS.boolean, 'a boolean attribute');
        if (op === 'set' || op === 'notSet') return { kind: 'presence', name, type, op: noValue(at, op) };
        if (typeof at.value !== 'boolean')
          throw new Invalid(`${at.path}.value`, `must be true or false, not ${describe(at.value)}`);
        return { ...base, type, op, value: at.value };
      }
      case 'date': {
        const op = allowed(at, OPS.date, 'a date attribute');
        if (op === 'set' || op === 'notSet') return { kind: 'presence', name, type, op: noValue(at, op) };
        return { ...base, type, op: 'time', test: timeTest(at, op) };
      }
    }
  }
}

interface At {
  path: string;
  op: string;
  value: unknown;
  hasValue: boolean;
}

function allowed<T extends string>(at: At, ops: readonly T[], what: string): T {
  if (!(ops as readonly string[]).includes(at.op)) {
    throw new Invalid(`${at.path}.op`, `${quote(at.op)} does not apply to ${what}; use one of ${ops.join(', ')}`);
  }
  return at.op as T;
}

function noValue<T>(at: At, op: T): T {
  if (at.hasValue && at.value !== null) throw new Invalid(`${at.path}.value`, `${String(op)} takes no value`);
  return op;
}

function text(at: At, minLength: number, value: unknown = at.value, path = `${at.path}.value`): string {
  if (typeof value !== 'string') throw new Invalid(path, `must be a string, not ${describe(value)}`);
  if (value.length < minLength) throw new Invalid(path, 'must not be empty');
  if (value.length > LIMITS.text) throw new Invalid(path, `must be at most ${LIMITS.text} characters`);
  return value;
}

function list(at: At, minItems: number): unknown[] {
  const path = `${at.path}.value`;
  if (!Array.isArray(at.value)) throw new Invalid(path, `must be a list, not ${describe(at.value)}`);
  if (at.value.length < minItems) throw new Invalid(path, 'must hold at least one item');
  if (at.value.length > LIMITS.items) throw new Invalid(path, `must hold at most ${LIMITS.items} items`);
  return at.value;
}

function textList(at: At): string[] {
  return list(at, 1).map((v, i) => text(at, 0, v, `${at.path}.value[${i}]`));
}

function status(value: string, path: string): ContactStatus {
  if (!(CONTACT_STATUSES as readonly string[]).includes(value))
    throw new Invalid(path, `must be one of ${CONTACT_STATUSES.join(', ')}`);
  return value as ContactStatus;
}

function number(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Invalid(path, `must be a finite number, not ${describe(value)}`);
  return value;
}

function pair<T>(at: At, parse: (v: unknown, path: string) => T): [T, T] {
  const path = `${at.path}.value`;
  if (!Array.isArray(at.value) || at.value.length !== 2) throw new Invalid(path, 'must be a pair [from, to]');
  return [parse(at.value[0], `${path}[0]`), parse(at.value[1], `${path}[1]`)];
}

function days(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIMITS.days)
    throw new Invalid(path, `must be a whole number of days from 1 to ${LIMITS.days}`);
  return value;
}

function listId(value: unknown, path: string): string {
  const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof id !== 'string' || !ID.test(id)) throw new Invalid(path, 'must be a list id such as "42"');
  return id;
}

/** A point in time: a day (`2024-05-01`, UTC midnight) or an instant with a zone. */
interface Moment {
  iso: string;
  /** For a day: the first instant of the next day, so that a day is inclusive. */
  endIso?: string;
}

function moment(value: unknown, path: string): Moment {
  const reason = 'must be a date such as "2024-05-01" or a date-time with a zone such as "2024-05-01T09:30:00Z"';
  if (typeof value !== 'string') throw new Invalid(path, reason);
  const day = DAY.exec(value.slice(0, 10));
  if (!day || (value.length > 10 && !INSTANT.test(value))) throw new Invalid(path, reason);
  // Date would roll 2024-02-30 over to March 1st; such a day is refused instead.
  const start = new Date(`${value.slice(0, 10)}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime()) || start.getUTCDate() !== Number(day[3]))
    throw new Invalid(path, 'is not a valid date');
  if (value.length === 10) {
    const end = new Date(start.getTime() + 86_400_000);
    if (!inPostgresYears(start) || !inPostgresYears(end)) throw new Invalid(path, OUT_OF_RANGE);
    return { iso: start.toISOString(), endIso: end.toISOString() };
  }
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw new Invalid(path, 'is not a valid date-time');
  if (!inPostgresYears(instant)) throw new Invalid(path, OUT_OF_RANGE);
  return { iso: instant.toISOString() };
}

const OUT_OF_RANGE = 'must fall between 0001-01-01 and 9999-12-30';

/**
 * Years 1 to 9999 in UTC: year 0 does not exist for Postgres, and past 9999
 * `toISOString` writes `+010000-…`, which it cannot read. (9999-12-31 as a day
 * would end in year 10000, hence the bound in the message.)
 */
const inPostgresYears = (date: Date): boolean => date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999;

/**
 * `before D` excludes day D, `after D` excludes day D, `between [A, B]`
 * includes both days; with date-times the bounds are the instants given.
 */
function timeTest(at: At, op: (typeof OPS.time)[number]): TimeTest {
  const path = `${at.path}.value`;
  switch (op) {
    case 'before':
      return { op: 'range', lt: moment(at.value, path).iso };
    case 'after': {
      const m = moment(at.value, path);
      return m.endIso ? { op: 'range', gte: m.endIso } : { op: 'range', gt: m.iso };
    }
    case 'between': {
      const [from, to] = pair(at, moment);
      if ((to.endIso ?? to.iso) <= from.iso) throw new Invalid(path, 'the end must come after the start');
      return to.endIso ? { op: 'range', gte: from.iso, lt: to.endIso } : { op: 'range', gte: from.iso, lte: to.iso };
    }
    case 'withinDays':
    case 'olderThanDays':
      return { op, days: days(at.value, path) };
  }
}

function engagement(at: At, op: EngagementOp): Condition {
  const path = `${at.path}.value`;
  const value = at.hasValue ? at.value : {};
  if (!isRecord(value))
    throw new Invalid(path, `must be an object { campaignId?, withinDays? }, not ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== 'campaignId' && key !== 'withinDays')
      throw new Invalid(`${path}.${key}`, 'only campaignId and withinDays are allowed');
  }
  const condition: Extract<Condition, { kind: 'engagement' }> = { kind: 'engagement', op };
  if (value.campaignId !== undefined) {
    const id = typeof value.campaignId === 'number' ? String(value.campaignId) : value.campaignId;
    if (typeof id !== 'string' || !ID.test(id))
      throw new Invalid(`${path}.campaignId`, 'must be a campaign id such as "42"');
    condition.campaignId = id;
  }
  if (value.withinDays !== undefined) condition.withinDays = days(value.withinDays, `${path}.withinDays`);
  return condition;
}

/** Every list a tree refers to, with the path of the value naming it. */
export function listReferences(tree: RuleNode): { id: string; path: string }[] {
  if (tree.node === 'group') return tree.children.flatMap(listReferences);
  const c = tree.condition;
  return c.kind === 'lists' ? c.listIds.map((id) => ({ id, path: `${tree.path}.value` })) : [];
}
