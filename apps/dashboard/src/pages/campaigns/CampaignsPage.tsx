import { Anchor, Button, Group, Select, Stack, Table, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { type CampaignState, formatTime, STATE_COLORS, stateLabel } from './campaigns';
import { StateBadge } from './StateBadge';

export function CampaignsPage() {
  const [state, setState] = useState<CampaignState | null>(null);
  const pages = useCursorPages(String(state));
  const campaigns = useQuery({
    queryKey: ['campaigns', 'list', { state, cursor: pages.cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/campaigns', {
          params: { query: { limit: 50, cursor: pages.cursor, state: state ?? undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Campaigns</Title>
        <Button component={Link} to="/campaigns/new">
          New campaign
        </Button>
      </Group>
      <Select
        label="State"
        placeholder="Any state"
        clearable
        data={Object.keys(STATE_COLORS).map((s) => ({ value: s, label: stateLabel(s as CampaignState) }))}
        value={state}
        onChange={(value) => setState(value as CampaignState | null)}
        w={220}
      />
      {campaigns.isError && <ErrorAlert error={campaigns.error} />}
      {campaigns.isPending ? (
        <Loading label="Loading campaigns" />
      ) : campaigns.data?.items.length === 0 ? (
        state !== null ? (
          <EmptyState title="No campaign in this state">Choose another state or clear the filter.</EmptyState>
        ) : (
          <EmptyState
            title="No campaigns yet"
            action={
              <Button component={Link} to="/campaigns/new">
                Create a campaign
              </Button>
            }
          >
            A campaign sends a template to lists or a segment through your senders. Without a sender of your own it goes
            to the sandbox inbox, where you can look at it safely.
          </EmptyState>
        )
      ) : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th ta="right">Recipients</Table.Th>
                  <Table.Th>Scheduled or started</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {campaigns.data?.items.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/campaigns/${c.id}`}>
                        {c.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <StateBadge state={c.state} />
                    </Table.Td>
                    <Table.Td ta="right">{c.audienceCount?.toLocaleString() ?? '—'}</Table.Td>
                    <Table.Td>{formatTime(c.startedAt ?? c.sendAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={campaigns.data?.nextCursor} />
        </>
      )}
    </Stack>
  );
}
