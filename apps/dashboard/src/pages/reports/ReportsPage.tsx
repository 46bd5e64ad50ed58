import { Anchor, Stack, Table, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { formatTime } from '../campaigns/campaigns';

/** Sent campaigns, each with its report. */
export function ReportsPage() {
  const pages = useCursorPages('sent');
  const sent = useQuery({
    queryKey: ['campaigns', 'list', { state: 'sent', cursor: pages.cursor }],
    queryFn: () =>
      unwrap(api.GET('/api/v1/campaigns', { params: { query: { limit: 50, cursor: pages.cursor, state: 'sent' } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack>
      <Title order={1}>Reports</Title>
      {sent.isError && <ErrorAlert error={sent.error} />}
      {sent.isPending ? (
        <Loading label="Loading reports" />
      ) : sent.data?.items.length === 0 ? (
        <EmptyState
          title="No sent campaigns yet"
          action={
            <Anchor component={Link} to="/campaigns">
              Go to campaigns
            </Anchor>
          }
        >
          A campaign's report appears here once it has been sent. A campaign that is sending shows its progress on its
          own page.
        </EmptyState>
      ) : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Campaign</Table.Th>
                  <Table.Th ta="right">Recipients</Table.Th>
                  <Table.Th>Finished</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sent.data?.items.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/campaigns/${c.id}/report`}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td ta="right">{c.audienceCount?.toLocaleString() ?? '—'}</Table.Td>
                    <Table.Td>{formatTime(c.finishedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={sent.data?.nextCursor} />
        </>
      )}
    </Stack>
  );
}
