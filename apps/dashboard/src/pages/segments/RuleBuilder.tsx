import {
  ActionIcon,
  Button,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import type { Schemas } from '../../api/client';
import {
  type ConditionNode,
  emptyValue,
  errorsAt,
  type FieldChoice,
  type GroupNode,
  MODE_LABELS,
  type Mode,
  newCondition,
  newGroup,
  OP_LABELS,
  type RuleNode,
  updateNode,
} from './rules';

interface Context {
  fields: FieldChoice[];
  lists: Schemas['ListView'][];
  campaigns: Schemas['CampaignView'][];
  errors: Record<string, string>;
  root: GroupNode;
  onChange: (root: GroupNode) => void;
}

const STATUSES = ['subscribed', 'unsubscribed', 'bounced', 'complained'];

/** The whole tree: the root group and, inside it, conditions and nested groups. */
export function RuleBuilder(props: Omit<Context, 'root'> & { value: GroupNode }) {
  const ctx: Context = { ...props, root: props.value };
  return <GroupEditor node={props.value} path="rules" label="Rules" depth={0} ctx={ctx} />;
}

function GroupEditor({
  node,
  path,
  label,
  depth,
  ctx,
}: {
  node: GroupNode;
  path: string;
  label: string;
  depth: number;
  ctx: Context;
}) {
  const change = (next: (n: GroupNode) => RuleNode | null) =>
    ctx.onChange(updateNode(ctx.root, node.id, (n) => next(n as GroupNode)));
  const errors = errorsAt(ctx.errors, path, false);
  return (
    <Paper withBorder p="sm" bg={depth % 2 === 0 ? undefined : 'gray.0'} role="group" aria-label={label}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Text size="sm">Contacts matching</Text>
            <SegmentedControl
              size="xs"
              aria-label={`${label}: match`}
              value={node.mode}
              onChange={(mode) => change((n) => ({ ...(n as GroupNode), mode: mode as Mode }))}
              data={(Object.keys(MODE_LABELS) as Mode[]).map((m) => ({ value: m, label: MODE_LABELS[m] }))}
            />
          </Group>
          {depth > 0 && (
            <Button
              size="xs"
              variant="subtle"
              color="red"
              aria-label={`Remove ${label.toLowerCase()}`}
              onClick={() => change(() => null)}
            >
              Remove group
            </Button>
          )}
        </Group>
        {errors.map((e) => (
          <Text key={e} size="sm" c="red">
            {e}
          </Text>
        ))}
        {node.children.length === 0 && (
          <Text size="sm" c="dimmed">
            {node.mode === 'any'
              ? 'An empty "any" group matches no one: add a condition.'
              : 'No conditions yet: this group matches every contact.'}
          </Text>
        )}
        {node.children.map((child, i) => {
          const childPath = `${path}.${node.mode}[${i}]`;
          const childLabel =
            `${label === 'Rules' ? '' : `${label} `}${child.type === 'group' ? 'group' : 'condition'} ${i + 1}`
              .trim()
              .replace(/^./, (c) => c.toUpperCase());
          return child.type === 'group' ? (
            <GroupEditor key={child.id} node={child} path={childPath} label={childLabel} depth={depth + 1} ctx={ctx} />
          ) : (
            <ConditionEditor key={child.id} node={child} path={childPath} label={childLabel} ctx={ctx} />
          );
        })}
        <Group gap="xs">
          <Button
            size="xs"
            variant="light"
            onClick={() =>
              change((n) => ({
                ...(n as GroupNode),
                children: [...(n as GroupNode).children, newCondition(ctx.fields[0])],
              }))
            }
          >
            Add condition
          </Button>
          {depth < 9 && (
            <Button
              size="xs"
              variant="default"
              onClick={() =>
                change((n) => ({
                  ...(n as GroupNode),
                  children: [...(n as GroupNode).children, newGroup('any', [newCondition(ctx.fields[0])])],
                }))
              }
            >
              Add group
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}

function ConditionEditor({
  node,
  path,
  label,
  ctx,
}: {
  node: ConditionNode;
  path: string;
  label: string;
  ctx: Context;
}) {
  const choice = ctx.fields.find((f) => f.value === node.field);
  const set = (next: Partial<ConditionNode>) =>
    ctx.onChange(updateNode(ctx.root, node.id, (n) => ({ ...(n as ConditionNode), ...next })));
  const errors = errorsAt(ctx.errors, path, true);
  // A stored rule may name a field deleted since: it is shown as it is, so the user can replace it.
  const fieldData = choice
    ? ctx.fields.map((f) => ({ value: f.value, label: f.label }))
    : [...ctx.fields.map((f) => ({ value: f.value, label: f.label })), { value: node.field, label: node.field }];
  const ops = choice?.ops ?? [node.op];
  return (
    <Stack gap={4} role="group" aria-label={label}>
      <Group gap="xs" align="flex-start" wrap="wrap">
        <Select
          aria-label={`${label}: field`}
          data={fieldData}
          value={node.field}
          allowDeselect={false}
          searchable
          w={180}
          onChange={(value) => {
            const next = ctx.fields.find((f) => f.value === value);
            if (next) set({ field: next.value, op: next.ops[0], value: emptyValue(next.kind, next.ops[0]) });
          }}
        />
        <Select
          aria-label={`${label}: operator`}
          data={ops.map((op) => ({ value: op, label: OP_LABELS[op] ?? op }))}
          value={node.op}
          allowDeselect={false}
          w={210}
          onChange={(op) =>
            op &&
            choice &&
            // Every engagement operator takes the same { campaignId?, withinDays? }: the chosen campaign stays.
            set({ op, value: choice.kind === 'engagement' ? node.value : emptyValue(choice.kind, op) })
          }
        />
        {choice && (
          <ValueInput
            node={node}
            choice={choice}
            label={label}
            lists={ctx.lists}
            campaigns={ctx.campaigns}
            onChange={(value) => set({ value })}
          />
        )}
        <ActionIcon
          variant="subtle"
          color="red"
          size="lg"
          aria-label={`Remove ${label.toLowerCase()}`}
          onClick={() => ctx.onChange(updateNode(ctx.root, node.id, () => null))}
        >
          ×
        </ActionIcon>
      </Group>
      {errors.map((e) => (
        <Text key={e} size="sm" c="red" role="alert">
          {e}
        </Text>
      ))}
    </Stack>
  );
}

/** The input that fits the field's type and the operator: text, number, yes/no, a date, statuses, lists. */
function ValueInput({
  node,
  choice,
  label,
  lists,
  campaigns,
  onChange,
}: {
  node: ConditionNode;
  choice: FieldChoice;
  label: string;
  lists: Schemas['ListView'][];
  campaigns: Schemas['CampaignView'][];
  onChange: (value: unknown) => void;
}) {
  const { op, value } = node;
  const aria = `${label}: value`;
  if (op === 'set' || op === 'notSet') return null;
  if (choice.kind === 'engagement') {
    const v = (value ?? {}) as { withinDays?: number; campaignId?: string };
    // Undefined parts drop out of the JSON: `{}` is "any campaign, ever".
    const campaignData = campaigns.map((c) => ({ value: c.id, label: c.name }));
    // A stored rule may name a campaign deleted since: it stays visible, so the user can replace it.
    if (v.campaignId !== undefined && !campaigns.some((c) => c.id === v.campaignId)) {
      campaignData.push({ value: v.campaignId, label: `campaign ${v.campaignId}` });
    }
    return (
      <Group gap={4} align="flex-start" wrap="wrap">
        <Select
          aria-label={`${label}: campaign`}
          placeholder="any campaign"
          searchable
          clearable
          nothingFoundMessage="No campaign of that name"
          w={240}
          data={campaignData}
          value={v.campaignId ?? null}
          onChange={(id) => onChange({ ...v, campaignId: id ?? undefined })}
        />
        <NumberInput
          aria-label={`${label}: within days`}
          placeholder="ever"
          min={1}
          max={36500}
          w={180}
          leftSection={<Text size="xs">within</Text>}
          leftSectionWidth={52}
          rightSection={<Text size="xs">days</Text>}
          rightSectionWidth={44}
          value={v.withinDays ?? ''}
          onChange={(n) => onChange({ ...v, withinDays: typeof n === 'number' ? n : undefined })}
        />
      </Group>
    );
  }
  if (choice.kind === 'lists') {
    return (
      <MultiSelect
        aria-label={aria}
        placeholder="Choose lists"
        searchable
        w={260}
        data={lists.map((l) => ({ value: l.id, label: l.name }))}
        value={Array.isArray(value) ? (value as string[]) : []}
        onChange={onChange}
      />
    );
  }
  if (choice.kind === 'status') {
    return op === 'in' ? (
      <MultiSelect aria-label={aria} w={260} data={STATUSES} value={(value as string[]) ?? []} onChange={onChange} />
    ) : (
      <Select
        aria-label={aria}
        w={160}
        data={STATUSES}
        value={String(value)}
        allowDeselect={false}
        onChange={onChange}
      />
    );
  }
  if (op === 'withinDays' || op === 'olderThanDays') {
    return (
      <NumberInput
        aria-label={aria}
        min={1}
        max={36500}
        w={140}
        rightSection={<Text size="xs">days</Text>}
        value={typeof value === 'number' ? value : ''}
        onChange={(n) => onChange(typeof n === 'number' ? n : null)}
      />
    );
  }
  if (op === 'between') {
    const pair = (Array.isArray(value) ? value : ['', '']) as unknown[];
    const part = (i: 0 | 1, v: unknown) => onChange(i === 0 ? [v, pair[1]] : [pair[0], v]);
    return (
      <Group gap={4}>
        <ScalarInput kind={choice.kind} aria={`${label}: from`} value={pair[0]} onChange={(v) => part(0, v)} />
        <Text size="sm">and</Text>
        <ScalarInput kind={choice.kind} aria={`${label}: to`} value={pair[1]} onChange={(v) => part(1, v)} />
      </Group>
    );
  }
  if (op === 'in') {
    return (
      <TagsInput
        aria-label={aria}
        placeholder="Type a value, press Enter"
        w={280}
        value={Array.isArray(value) ? (value as string[]) : []}
        onChange={onChange}
      />
    );
  }
  return <ScalarInput kind={choice.kind} aria={aria} value={value} onChange={onChange} />;
}

function ScalarInput({
  kind,
  aria,
  value,
  onChange,
}: {
  kind: FieldChoice['kind'];
  aria: string;
  value: unknown;
  onChange: (value: unknown) => void;
}) {
  if (kind === 'number') {
    return (
      <NumberInput
        aria-label={aria}
        w={140}
        value={typeof value === 'number' ? value : ''}
        onChange={(n) => onChange(typeof n === 'number' ? n : null)}
      />
    );
  }
  if (kind === 'boolean') {
    return (
      <SegmentedControl
        aria-label={aria}
        size="xs"
        data={[
          { value: 'true', label: 'yes' },
          { value: 'false', label: 'no' },
        ]}
        value={String(value === true)}
        onChange={(v) => onChange(v === 'true')}
      />
    );
  }
  if (kind === 'date') {
    return (
      <TextInput
        aria-label={aria}
        type="date"
        w={170}
        value={typeof value === 'string' ? value.slice(0, 10) : ''}
        onChange={(e) => onChange(e.currentTarget.value)}
      />
    );
  }
  return (
    <TextInput
      aria-label={aria}
      w={240}
      value={typeof value === 'string' ? value : ''}
      onChange={(e) => onChange(e.currentTarget.value)}
    />
  );
}
