import { Anchor, Button, Group, Stack, Table, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

export function SegmentsPage() {
  const pages = useCursorPages('segments');
  const segments = useQuery({
    queryKey: ['segments', { cursor: pages.cursor }],
    queryFn: () => unwrap(api.GET('/api/v1/segments', { params: { query: { limit: 50, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Segments</Title>
        <Button component={Link} to="/segments/new">
          New segment
        </Button>
      </Group>
      {segments.isError && <ErrorAlert error={segments.error} />}
      {segments.isPending ? (
        <Loading label="Loading segments" />
      ) : segments.data?.items.length === 0 && pages.page === 1 ? (
        <EmptyState
          title="No segments yet"
          action={
            <Button component={Link} to="/segments/new">
              Build a segment
            </Button>
          }
        >
          A segment picks contacts by rules (their fields, lists and engagement) and stays up to date as contacts
          change. Campaigns can be sent to it.
        </EmptyState>
      ) : (
        <>
          <Table.ScrollContainer minWidth={560}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Description</Table.Th>
                  <Table.Th>Changed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {segments.data?.items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/segments/${s.id}`}>
                        {s.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{s.description}</Table.Td>
                    <Table.Td>{new Date(s.updatedAt).toLocaleString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={segments.data?.nextCursor} />
        </>
      )}
    </Stack>
  );
}
