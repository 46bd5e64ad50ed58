import { Anchor, Button, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { SignupForm } from './SignupForm';

/** `/lists/:id`: one list, its contacts, and its sign-up form. */
export function ListPage() {
  const { id = '' } = useParams();
  const list = useQuery({
    queryKey: ['lists', id],
    queryFn: () => unwrap(api.GET('/api/v1/lists/{id}', { params: { path: { id } } })),
  });
  if (list.isPending) return <Loading label="Loading list" />;
  if (list.isError) return <ErrorAlert error={list.error} />;
  const l = list.data;
  return (
    <Stack>
      <Anchor component={Link} to="/lists" size="sm">
        ← Lists
      </Anchor>
      <Group justify="space-between" align="flex-end">
        <Stack gap={4}>
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {l.name}
          </Title>
          {l.description && <Text c="dimmed">{l.description}</Text>}
        </Stack>
        <Button component={Link} to={`/contacts?listId=${l.id}`} variant="light">
          {l.memberCount.toLocaleString()} {l.memberCount === 1 ? 'contact' : 'contacts'}
        </Button>
      </Group>
      <SignupForm listId={l.id} />
    </Stack>
  );
}
