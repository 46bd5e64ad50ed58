import { Alert, Anchor, Button, Card, Group, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { useLists } from '../lists/lists';

const RUNNING = new Set(['queued', 'running']);

/** `/imports/:id`: the running import's progress, then what it did, with the rejected rows to download. */
export function ImportPage() {
  const { id = '' } = useParams();
  const lists = useLists();
  const job = useQuery({
    queryKey: ['imports', id],
    queryFn: () => unwrap(api.GET('/api/v1/imports/{id}', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data && !RUNNING.has(query.state.data.status) ? false : 500),
  });
  if (job.isPending) return <Loading label="Loading import" />;
  if (job.isError) return <ErrorAlert error={job.error} />;
  const i = job.data;
  const running = RUNNING.has(i.status);
  const list = lists.data?.find((l) => l.id === i.listId);
  const figures: [string, number][] = [
    ['Rows read', i.rowsRead],
    ['New contacts', i.inserted],
    ['Updated', i.updated],
    ['Skipped', i.skipped],
    ['Rejected', i.failed],
  ];
  return (
    <Stack maw={900}>
      <Anchor component={Link} to="/contacts" size="sm">
        ← Contacts
      </Anchor>
      <Title order={1}>Import of {i.fileName}</Title>
      <Card withBorder>
        <Stack>
          <Group justify="space-between">
            <Text fw={600} role="status">
              {i.status === 'queued'
                ? 'Waiting to start…'
                : i.status === 'running'
                  ? 'Importing…'
                  : i.status === 'done'
                    ? 'Done'
                    : 'Stopped'}
            </Text>
            <Text size="sm" c="dimmed">
              {Math.round(i.progress * 100)}%
            </Text>
          </Group>
          <Progress
            value={i.progress * 100}
            animated={running}
            color={i.status === 'failed' ? 'red' : i.status === 'done' ? 'green' : undefined}
            aria-label="Import progress"
          />
          {i.status === 'failed' && (
            <Alert color="red" role="alert" title="The import stopped">
              {i.error ?? 'for an unknown reason'}. Rows merged before it stay imported.
            </Alert>
          )}
          <SimpleGrid cols={{ base: 2, sm: 5 }}>
            {figures.map(([label, value]) => (
              <Stack key={label} gap={0}>
                <Text size="xs" c="dimmed">
                  {label}
                </Text>
                <Text size="lg" fw={700}>
                  {value.toLocaleString()}
                </Text>
              </Stack>
            ))}
          </SimpleGrid>
          <Text size="sm" c="dimmed">
            {i.mode === 'upsert' ? 'Existing contacts are updated' : 'Existing contacts are left as they are'}
            {i.listId ? `; everyone goes to the list ${list?.name ?? i.listId}` : ''}.
          </Text>
          {!running && (
            <Group>
              {i.failed > 0 && (
                <Button component="a" href={`/api/v1/imports/${i.id}/errors.csv`} download variant="default">
                  Download the {i.failed.toLocaleString()} rejected rows
                </Button>
              )}
              <Button component={Link} to={i.listId ? `/contacts?listId=${i.listId}` : '/contacts'}>
                See the contacts
              </Button>
              <Button component={Link} to="/imports/new" variant="subtle">
                Import another file
              </Button>
            </Group>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
