import type { Schemas } from '../../api/client';

/**
 * The rule tree as the builder edits it, and its conversion to and from the
 * API's JSON (`{ all | any | none: [...] }` of `{ field, op, value }`).
 * Each node knows its path in that JSON (`rules.all[2].any[0]`), which is
 * how the API names the node at fault in a 400.
 */
export type Mode = 'all' | 'any' | 'none';
export type ValueKind = 'text' | 'number' | 'boolean' | 'date' | 'status' | 'lists' | 'engagement';

export interface ConditionNode {
  type: 'condition';
  id: number;
  field: string;
  op: string;
  value: unknown;
}
export interface GroupNode {
  type: 'group';
  id: number;
  mode: Mode;
  children: RuleNode[];
}
export type RuleNode = ConditionNode | GroupNode;

export interface FieldChoice {
  value: string;
  label: string;
  kind: ValueKind;
  ops: readonly string[];
}

export const MODE_LABELS: Record<Mode, string> = {
  all: 'all of these',
  any: 'any of these',
  none: 'none of these',
};

export const OP_LABELS: Record<string, string> = {
  eq: 'is',
  neq: 'is not',
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
  in: 'is one of',
  lt: 'is less than',
  lte: 'is at most',
  gt: 'is more than',
  gte: 'is at least',
  between: 'is between',
  set: 'is set',
  notSet: 'is not set',
  before: 'is before',
  after: 'is after',
  withinDays: 'is within the last … days',
  olderThanDays: 'is more than … days ago',
  inAny: 'is in any of',
  inNone: 'is in none of',
  received: 'received a campaign',
  opened: 'opened a campaign',
  clicked: 'clicked in a campaign',
  notOpened: 'did not open a campaign',
  notClicked: 'did not click in a campaign',
};

/** The operators the API allows per kind of value (libs/segments/src/rules.ts `OPS`). */
const TEXT_OPS = ['eq', 'neq', 'contains', 'startsWith', 'endsWith', 'in'] as const;
const TIME_OPS = ['before', 'after', 'between', 'withinDays', 'olderThanDays'] as const;
const ATTRIBUTE_OPS: Record<Schemas['FieldView']['type'], readonly string[]> = {
  text: [...TEXT_OPS, 'set', 'notSet'],
  number: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'set', 'notSet'],
  boolean: ['eq', 'neq', 'set', 'notSet'],
  date: [...TIME_OPS, 'set', 'notSet'],
};

const BUILT_IN: FieldChoice[] = [
  { value: 'email', label: 'Email', kind: 'text', ops: TEXT_OPS },
  { value: 'status', label: 'Status', kind: 'status', ops: ['eq', 'neq', 'in'] },
  { value: 'createdAt', label: 'Added', kind: 'date', ops: TIME_OPS },
  { value: 'updatedAt', label: 'Last changed', kind: 'date', ops: TIME_OPS },
  { value: 'lists', label: 'Lists', kind: 'lists', ops: ['inAny', 'inNone'] },
  {
    value: 'engagement',
    label: 'Engagement',
    kind: 'engagement',
    ops: ['received', 'opened', 'clicked', 'notOpened', 'notClicked'],
  },
];

/** Every field a condition can test: the built-in ones, then the custom fields. */
export function fieldChoices(fields: Schemas['FieldView'][]): FieldChoice[] {
  return [
    ...BUILT_IN,
    ...fields.map((f) => ({
      value: `attributes.${f.name}`,
      label: f.label ?? f.name,
      kind: f.type,
      ops: ATTRIBUTE_OPS[f.type],
    })),
  ];
}

let nextId = 1;
const newId = () => nextId++;

/** What a value input starts with after the field or operator changed. */
export function emptyValue(kind: ValueKind, op: string): unknown {
  if (op === 'set' || op === 'notSet') return undefined;
  if (kind === 'engagement') return {};
  if (op === 'in' || kind === 'lists') return [];
  if (op === 'between') return kind === 'number' ? [0, 0] : ['', ''];
  if (op === 'withinDays' || op === 'olderThanDays') return 30;
  if (kind === 'number') return 0;
  if (kind === 'boolean') return true;
  if (kind === 'status') return 'subscribed';
  return '';
}

export function newCondition(choice: FieldChoice): ConditionNode {
  const op = choice.ops[0];
  return { type: 'condition', id: newId(), field: choice.value, op, value: emptyValue(choice.kind, op) };
}

export function newGroup(mode: Mode = 'all', children: RuleNode[] = []): GroupNode {
  return { type: 'group', id: newId(), mode, children };
}

export function toJson(node: RuleNode): Record<string, unknown> {
  if (node.type === 'group') return { [node.mode]: node.children.map(toJson) };
  return node.value === undefined
    ? { field: node.field, op: node.op }
    : { field: node.field, op: node.op, value: node.value };
}

/** A stored segment's rules, for editing. Anything unexpected becomes an empty group rather than a crash. */
export function fromJson(json: unknown): GroupNode {
  const group = (input: Record<string, unknown>): GroupNode | undefined => {
    const mode = (['all', 'any', 'none'] as const).find((m) => Array.isArray(input[m]));
    if (mode === undefined) return undefined;
    const children = (input[mode] as unknown[]).flatMap((child) => {
      const node = isRecord(child) ? ('field' in child ? condition(child) : group(child)) : undefined;
      return node ? [node] : [];
    });
    return newGroup(mode, children);
  };
  const condition = (input: Record<string, unknown>): ConditionNode | undefined =>
    typeof input.field === 'string' && typeof input.op === 'string'
      ? { type: 'condition', id: newId(), field: input.field, op: input.op, value: input.value }
      : undefined;
  return (isRecord(json) && group(json)) || newGroup();
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The node's tree with `id`'s node replaced by `change(node)` (or removed when it returns null). */
export function updateNode(root: GroupNode, id: number, change: (node: RuleNode) => RuleNode | null): GroupNode {
  const walk = (node: RuleNode): RuleNode | null => {
    if (node.id === id) return change(node);
    if (node.type === 'condition') return node;
    return { ...node, children: node.children.flatMap((c) => walk(c) ?? []) };
  };
  return walk(root) as GroupNode;
}

/** The API's messages about the node at `path`; a condition owns everything below it (`.op`, `.value[0]`). */
export function errorsAt(fields: Record<string, string>, path: string, isCondition: boolean): string[] {
  return Object.entries(fields)
    .filter(([key]) => key === path || (isCondition && key.startsWith(`${path}.`)))
    .map(([, message]) => message);
}
