import { List, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { type Schemas } from '../../api/client';

export type PreflightCheck = Schemas['PreflightCheckView'];
type Status = PreflightCheck['status'];

const GROUPS: { status: Status; title: string; color: string; mark: string }[] = [
  { status: 'fail', title: 'To fix before sending', color: 'red', mark: '✕' },
  { status: 'warn', title: 'Worth a look', color: 'orange', mark: '!' },
  { status: 'pass', title: 'Passed', color: 'green', mark: '✓' },
];

export const failing = (checks: PreflightCheck[]) => checks.filter((c) => c.status === 'fail');

function CheckItems({ checks, color, mark }: { checks: PreflightCheck[]; color: string; mark: string }) {
  return (
    <>
      {checks.map((check, i) => (
        <List.Item
          key={`${check.id}-${i}`}
          icon={
            <ThemeIcon color={color} size={22} radius="xl" aria-label={check.status}>
              {mark}
            </ThemeIcon>
          }
        >
          <Text fw={600} size="sm">
            {check.title}
          </Text>
          {/* A detail may run to several lines, one per sender. */}
          <Text size="sm" c="dimmed" style={{ whiteSpace: 'pre-line', overflowWrap: 'anywhere' }}>
            {check.detail}
          </Text>
        </List.Item>
      ))}
    </>
  );
}

/** The pre-send checklist, what must be fixed first, then warnings, then what passed. */
export function PreflightChecklist({ checks }: { checks: PreflightCheck[] }) {
  return (
    <Stack gap="md" component="section" aria-label="Pre-flight checklist">
      {GROUPS.map((group) => {
        const inGroup = checks.filter((c) => c.status === group.status);
        if (inGroup.length === 0) return null;
        return (
          <Stack key={group.status} gap={6}>
            <Title order={3} size="h5" c={group.color}>
              {group.title} ({inGroup.length})
            </Title>
            <List spacing="sm" listStyleType="none" aria-label={group.title}>
              <CheckItems checks={inGroup} color={group.color} mark={group.mark} />
            </List>
          </Stack>
        );
      })}
    </Stack>
  );
}

/** The failing checks, for a confirmation that sends in spite of them. */
export function FailingChecks({ checks }: { checks: PreflightCheck[] }) {
  return (
    <List spacing="xs" listStyleType="none" aria-label="Failing checks">
      <CheckItems checks={checks} color="red" mark="✕" />
    </List>
  );
}
