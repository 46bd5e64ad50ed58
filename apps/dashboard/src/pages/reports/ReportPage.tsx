import { Anchor, Button, Card, Group, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { percent, useCampaign } from '../campaigns/campaigns';
import { StateBadge } from '../campaigns/StateBadge';

const HourlyChart = lazy(() => import('./HourlyChart'));

type Report = Schemas['CampaignReportView'];
type HumanAndTotal = Schemas['HumanAndTotalView'];

export function ReportPage() {
  const { id = '' } = useParams();
  const campaign = useCampaign(id);
  const report = useQuery({
    queryKey: ['campaigns', id, 'report'],
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}/report', { params: { path: { id } } })),
    refetchInterval: (query) => (query.state.data?.state === 'sending' ? 5000 : false),
  });
  if (report.isPending || campaign.isPending) return <Loading label="Loading report" />;
  if (report.isError) return <ErrorAlert error={report.error} />;
  if (campaign.isError) return <ErrorAlert error={campaign.error} />;
  const r = report.data;
  return (
    <Stack>
      <Anchor component={Link} to={`/campaigns/${id}`} size="sm">
        ← Campaign
      </Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={1}>Report: {campaign.data.name}</Title>
          <StateBadge state={r.state} />
        </Group>
        {r.startedAt !== null && (
          <Button variant="default" component="a" href={`/api/v1/campaigns/${id}/activity.csv`} download>
            Download activity (CSV)
          </Button>
        )}
      </Group>
      {r.startedAt === null ? (
        <EmptyState title="Nothing sent yet">The report fills in once the campaign starts sending.</EmptyState>
      ) : (
        <>
          <Funnel report={r} />
          <HumanAndMachine report={r} />
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Opens and clicks per hour
            </Title>
            {r.hourly.length === 0 ? (
              <Text c="dimmed">No opens or clicks recorded yet.</Text>
            ) : (
              <Suspense fallback={<Loading label="Loading chart" />}>
                <HourlyChart hourly={r.hourly} />
              </Suspense>
            )}
          </Card>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Links report={r} />
            <BouncesAndUnsubscribes report={r} />
          </SimpleGrid>
          <Domains report={r} />
        </>
      )}
    </Stack>
  );
}

function Funnel({ report: r }: { report: Report }) {
  const steps = [
    { label: 'Sent', count: r.sent, rate: r.sent > 0 ? 1 : null },
    { label: 'Opened', count: r.uniqueOpens.human.count, rate: r.uniqueOpens.human.rate },
    { label: 'Clicked', count: r.uniqueClicks.human.count, rate: r.uniqueClicks.human.rate },
  ];
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Funnel
      </Title>
      <Stack gap="xs" aria-label="Funnel">
        {steps.map((step) => (
          <div key={step.label}>
            <Group justify="space-between">
              <Text size="sm" fw={600}>
                {step.label}
              </Text>
              <Text size="sm">
                {step.count.toLocaleString()} {step.label !== 'Sent' && `(${percent(step.rate)})`}
              </Text>
            </Group>
            <Progress value={(step.rate ?? 0) * 100} size="lg" aria-label={`${step.label}: ${percent(step.rate)}`} />
          </div>
        ))}
        <Text size="xs" c="dimmed">
          People only: opens by privacy proxies, scanners and bots are left out. Click-to-open:{' '}
          {percent(r.clickToOpenRate.human)}.
        </Text>
      </Stack>
    </Card>
  );
}

function HumanAndMachine({ report: r }: { report: Report }) {
  const rows: [string, HumanAndTotal][] = [
    ['Opens', r.opens],
    ['Unique opens', r.uniqueOpens],
    ['Clicks', r.clicks],
    ['Unique clicks', r.uniqueClicks],
  ];
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        People and machines
      </Title>
      <Table.ScrollContainer minWidth={400}>
        <Table aria-label="People and machines">
          <Table.Thead>
            <Table.Tr>
              <Table.Th />
              <Table.Th ta="right">People</Table.Th>
              <Table.Th ta="right">Machines</Table.Th>
              <Table.Th ta="right">All</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map(([label, figure]) => (
              <Table.Tr key={label}>
                <Table.Th scope="row">{label}</Table.Th>
                <Table.Td ta="right">
                  {figure.human.count.toLocaleString()} ({percent(figure.human.rate)})
                </Table.Td>
                <Table.Td ta="right">{(figure.total.count - figure.human.count).toLocaleString()}</Table.Td>
                <Table.Td ta="right">
                  {figure.total.count.toLocaleString()} ({percent(figure.total.rate)})
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Text size="xs" c="dimmed" mt="xs">
        Machines: Apple Mail Privacy Protection, link scanners and bots, which open or click without a person.
      </Text>
    </Card>
  );
}

function Links({ report: r }: { report: Report }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Links
      </Title>
      {r.links.length === 0 ? (
        <Text c="dimmed">The message had no tracked links.</Text>
      ) : (
        <Table.ScrollContainer minWidth={400}>
          <Table aria-label="Links">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Link</Table.Th>
                <Table.Th ta="right">Clicks (people)</Table.Th>
                <Table.Th ta="right">Unique (people)</Table.Th>
                <Table.Th ta="right">All clicks</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.links.map((l) => (
                <Table.Tr key={l.index}>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{l.url}</Table.Td>
                  <Table.Td ta="right">{l.clicks.human.toLocaleString()}</Table.Td>
                  <Table.Td ta="right">{l.uniqueClicks.human.toLocaleString()}</Table.Td>
                  <Table.Td ta="right">{l.clicks.total.toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function BouncesAndUnsubscribes({ report: r }: { report: Report }) {
  const rows: [string, Schemas['FigureView'], string][] = [
    ['Hard bounces', r.bounces.hard, 'Refused permanently; the addresses are suppressed'],
    ['Soft bounces', r.bounces.soft, 'Deferred past the retry age'],
    ['Unsubscribes', r.unsubscribes, 'Of delivered messages'],
    ['Complaints', r.complaints, 'Marked as spam'],
  ];
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Bounces and unsubscribes
      </Title>
      <Table.ScrollContainer minWidth={400}>
        <Table aria-label="Bounces and unsubscribes">
          <Table.Tbody>
            {rows.map(([label, figure, hint]) => (
              <Table.Tr key={label}>
                <Table.Th scope="row">
                  {label}
                  <Text size="xs" c="dimmed" fw={400}>
                    {hint}
                  </Text>
                </Table.Th>
                <Table.Td ta="right">{figure.count.toLocaleString()}</Table.Td>
                <Table.Td ta="right">{percent(figure.rate)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

function Domains({ report: r }: { report: Report }) {
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="sm">
        Recipient domains
      </Title>
      {r.domains.length === 0 ? (
        <Text c="dimmed">Nothing delivered yet.</Text>
      ) : (
        <Table.ScrollContainer minWidth={640}>
          <Table aria-label="Recipient domains" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Domain</Table.Th>
                <Table.Th ta="right">Delivered</Table.Th>
                <Table.Th ta="right">Bounced</Table.Th>
                <Table.Th ta="right">Failed</Table.Th>
                <Table.Th ta="right">Opened (people)</Table.Th>
                <Table.Th ta="right">Clicked (people)</Table.Th>
                <Table.Th ta="right">Unsubscribed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {r.domains.map((d) => (
                <Table.Tr key={d.domain}>
                  <Table.Td>{d.domain}</Table.Td>
                  <Table.Td ta="right">{d.delivered.toLocaleString()}</Table.Td>
                  <Table.Td ta="right">{d.bounced.toLocaleString()}</Table.Td>
                  <Table.Td ta="right">{d.failed.toLocaleString()}</Table.Td>
                  <Table.Td ta="right">{percent(d.uniqueOpens.human.rate)}</Table.Td>
                  <Table.Td ta="right">{percent(d.uniqueClicks.human.rate)}</Table.Td>
                  <Table.Td ta="right">{percent(d.unsubscribes.rate)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}
