import { Badge, Card, Group, Stack, Text, Timeline, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { ErrorAlert, Loading } from '../../ui/states';

const EVENT_LABELS: Record<string, string> = {
  open: 'Opened',
  click: 'Clicked',
  unsubscribe: 'Unsubscribed',
  complaint: 'Marked as spam',
  bounce: 'Bounced',
};

/** What a contact was sent and did with it, newest first: one entry per message, its events beneath. */
export function ActivityTimeline({ contactId }: { contactId: string }) {
  const pages = useCursorPages(contactId);
  const activity = useQuery({
    queryKey: ['contacts', contactId, 'activity', pages.cursor],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/contacts/{id}/activity', {
          params: { path: { id: contactId }, query: { limit: 20, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Activity
      </Title>
      {activity.isError && <ErrorAlert error={activity.error} />}
      {activity.isPending ? (
        <Loading label="Loading activity" />
      ) : activity.data?.items.length === 0 ? (
        <Text c="dimmed">No campaign has been sent to this contact yet.</Text>
      ) : (
        <Stack>
          <Timeline bulletSize={14} lineWidth={2}>
            {activity.data?.items.map((m) => (
              <Timeline.Item
                key={m.messageId}
                title={
                  <Group gap="xs">
                    <Text fw={600} component={Link} to={`/campaigns/${m.campaignId}`}>
                      {m.campaignName ?? `Campaign ${m.campaignId} (deleted)`}
                    </Text>
                    <Badge variant="light" size="sm">
                      {m.status}
                    </Badge>
                  </Group>
                }
              >
                <Text size="sm" c="dimmed">
                  {m.sentAt ? `Delivered ${new Date(m.sentAt).toLocaleString()}` : 'Not delivered'}
                  {m.bounceReply ? ` — ${m.bounceReply}` : ''}
                </Text>
                {m.events.map((e, i) => (
                  <Text key={i} size="sm">
                    {EVENT_LABELS[e.type] ?? e.type} {new Date(e.at).toLocaleString()}
                    {e.url ? ` — ${e.url}` : ''}
                    {e.machine ? ` (by a machine${e.machineReason ? `: ${e.machineReason}` : ''})` : ''}
                  </Text>
                ))}
              </Timeline.Item>
            ))}
          </Timeline>
          <CursorPager pages={pages} nextCursor={activity.data?.nextCursor} />
        </Stack>
      )}
    </Card>
  );
}
