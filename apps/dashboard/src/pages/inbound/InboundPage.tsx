import { Anchor, Badge, Card, Code, Group, ScrollArea, Select, Stack, Table, Tabs, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { HeadersTable } from '../../ui/HeadersTable';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

type InboundMessage = Schemas['InboundMessageView'];
type Outcome = InboundMessage['outcome'];
type Effect = NonNullable<InboundMessage['effect']>;

const OUTCOME_COLORS: Record<Outcome, string> = {
  processed: 'green',
  duplicate: 'gray',
  unmatched: 'orange',
  unparseable: 'yellow',
};
const OUTCOME_HELP: Record<Outcome, string> = {
  processed: 'matched to the message it is about and acted on',
  duplicate: 'the same report again, counted once',
  unmatched: 'names no message Herald sent',
  unparseable: 'not a report Herald reads',
};
const EFFECT_COLORS: Record<Effect, string> = {
  'hard-bounce': 'red',
  'soft-bounce': 'orange',
  complaint: 'red',
  unsubscribe: 'gray',
};
const KIND_LABELS: Record<InboundMessage['kind'], string> = {
  'delivery-status': 'Delivery status notification',
  'feedback-report': 'Feedback report (complaint)',
  unsubscribe: 'Unsubscribe by mail',
  other: 'Other mail',
};

const sender = (m: InboundMessage) => m.from ?? m.envelopeFrom ?? '<> (null sender)';

/** `/inbound`: the mail the bounce domains' MX brings back, newest first; `/inbound/:id`: one of them. */
export function InboundPage() {
  const { id } = useParams();
  return id === undefined ? <InboundList /> : <InboundMessageDetail id={id} />;
}

function InboundList() {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const pages = useCursorPages(outcome ?? '');
  const messages = useQuery({
    queryKey: ['inbound', 'list', { outcome, cursor: pages.cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/inbound/messages', {
          params: { query: { limit: 50, cursor: pages.cursor, outcome: outcome ?? undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  return (
    <Stack>
      <Title order={1}>Bounces & complaints</Title>
      <Text c="dimmed" size="sm" maw={720}>
        Mail that comes back to Herald's return addresses: bounces, spam complaints from feedback loops, unsubscribes by
        mail, and anything else sent there. Bounces and complaints suppress the address; every message is kept here with
        what it did.
      </Text>
      <Select
        label="Outcome"
        placeholder="Any outcome"
        clearable
        data={(Object.keys(OUTCOME_COLORS) as Outcome[]).map((o) => ({ value: o, label: o }))}
        value={outcome}
        onChange={(value) => setOutcome(value as Outcome | null)}
        w={220}
      />
      {messages.isError && <ErrorAlert error={messages.error} />}
      {messages.isPending ? (
        <Loading label="Loading inbound mail" />
      ) : messages.data?.items.length === 0 ? (
        outcome !== null ? (
          <EmptyState title={`No ${outcome} mail`}>
            Nothing has ended as {outcome} ({OUTCOME_HELP[outcome]}). Choose another outcome or clear the filter.
          </EmptyState>
        ) : (
          <EmptyState title="No mail has come back yet">
            Herald's campaigns leave with a return path at each sender's domain (<Code>bounce+…@</Code>) and a mailto:
            unsubscribe address. Point that domain's MX record (or the domains of <Code>HERALD_INBOUND_DOMAINS</Code>)
            at this server, forward port 25 to the inbound listener (<Code>HERALD_INBOUND_PORT</Code>, 2526), and
            register <Code>complaints@</Code> your domain with the mailbox providers' feedback loops: bounces and
            complaints then appear here.
          </EmptyState>
        )
      ) : (
        <>
          <Table.ScrollContainer minWidth={900}>
            <Table striped highlightOnHover aria-label="Inbound mail">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Received</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>From</Table.Th>
                  <Table.Th>To</Table.Th>
                  <Table.Th w={140}>Outcome</Table.Th>
                  <Table.Th>Reason</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {messages.data?.items.map((m) => (
                  <Table.Tr key={m.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{new Date(m.receivedAt).toLocaleString()}</Table.Td>
                    <Table.Td maw={260} style={{ wordBreak: 'break-word' }}>
                      <Anchor component={Link} to={`/inbound/${m.id}`} size="sm">
                        {m.subject ?? '(no subject)'}
                      </Anchor>
                    </Table.Td>
                    <Table.Td maw={220} style={{ wordBreak: 'break-all' }}>
                      {sender(m)}
                    </Table.Td>
                    <Table.Td maw={220} style={{ wordBreak: 'break-all' }}>
                      {m.envelopeTo.join(', ')}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <Badge color={OUTCOME_COLORS[m.outcome]} variant="light">
                          {m.outcome}
                        </Badge>
                        {m.effect && (
                          <Badge color={EFFECT_COLORS[m.effect]} variant="outline">
                            {m.effect}
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td maw={320} style={{ wordBreak: 'break-word' }}>
                      <Text size="sm" lineClamp={2}>
                        {m.reason}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={messages.data?.nextCursor} />
        </>
      )}
    </Stack>
  );
}

/** One block of a delivery status notification, as the API gives it. */
interface RecipientStatus {
  recipient: string | null;
  action: string;
  status: string | null;
  diagnostic: string | null;
}

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * The report's recipient blocks, read defensively: the report is whatever the
 * sending server wrote. Null without any (a plain-text bounce has none: its
 * reading is shown as it is).
 */
function recipientsOf(report: Record<string, unknown> | null): RecipientStatus[] | null {
  const recipients = report?.recipients;
  if (!Array.isArray(recipients) || recipients.length === 0) return null;
  return recipients
    .filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object')
    .map((r) => ({
      recipient: textOrNull(r.recipient),
      action: textOrNull(r.action) ?? '',
      status: textOrNull(r.status),
      diagnostic: textOrNull(r.diagnostic),
    }));
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" style={{ verticalAlign: 'top', whiteSpace: 'nowrap' }}>
        {label}
      </Table.Th>
      <Table.Td style={{ wordBreak: 'break-all' }}>{children}</Table.Td>
    </Table.Tr>
  );
}

function InboundMessageDetail({ id }: { id: string }) {
  const message = useQuery({
    queryKey: ['inbound', id],
    queryFn: () => unwrap(api.GET('/api/v1/inbound/messages/{id}', { params: { path: { id } } })),
  });
  const back = (
    <Anchor component={Link} to="/inbound" size="sm">
      ← Bounces & complaints
    </Anchor>
  );
  if (message.isPending) return <Loading label="Loading message" />;
  if (message.isError)
    return (
      <Stack>
        {back}
        <ErrorAlert error={message.error} />
      </Stack>
    );
  const m = message.data;
  const recipients = recipientsOf(m.report);
  const feedbackType = textOrNull(m.report?.feedbackType);
  return (
    <Stack>
      {back}
      <Title order={1} size="h2" style={{ wordBreak: 'break-word' }}>
        {m.subject ?? '(no subject)'}
      </Title>
      <Group gap="xs">
        <Badge color={OUTCOME_COLORS[m.outcome]} variant="light" size="lg">
          {m.outcome}
        </Badge>
        {m.effect && (
          <Badge color={EFFECT_COLORS[m.effect]} variant="outline" size="lg">
            {m.effect}
          </Badge>
        )}
        <Text size="sm" c="dimmed">
          {KIND_LABELS[m.kind]}
        </Text>
      </Group>
      <Card withBorder>
        <Text size="sm">
          <Text span fw={600}>
            Why:
          </Text>{' '}
          {m.reason}
        </Text>
      </Card>
      <Card withBorder>
        <Table aria-label="Message" fz="sm" verticalSpacing={4}>
          <Table.Tbody>
            <Field label="Received">{new Date(m.receivedAt).toLocaleString()}</Field>
            <Field label="From">{m.from ?? '—'}</Field>
            <Field label="MAIL FROM">{m.envelopeFrom ?? '<> (null sender, as bounces are)'}</Field>
            <Field label="RCPT TO">{m.envelopeTo.join(', ')}</Field>
            <Field label="Message-ID">{m.messageId ?? '—'}</Field>
            <Field label="Delivered by">{m.remoteAddress ?? '—'}</Field>
            <Field label="About message">{m.matchedMessageId ?? 'none matched'}</Field>
            <Field label="Size">{(m.size / 1024).toFixed(1)} KB</Field>
          </Table.Tbody>
        </Table>
      </Card>
      <Tabs defaultValue={m.report !== null ? 'report' : 'raw'} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="report" disabled={m.report === null}>
            What the report said
          </Tabs.Tab>
          <Tabs.Tab value="headers">Headers</Tabs.Tab>
          <Tabs.Tab value="raw">Raw message</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="report" pt="xs">
          {feedbackType !== null && (
            <Text size="sm" mb="xs">
              <Text span fw={600}>
                Feedback type:
              </Text>{' '}
              {feedbackType}
            </Text>
          )}
          {recipients !== null ? (
            <Table.ScrollContainer minWidth={600}>
              <Table aria-label="Recipients" fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Recipient</Table.Th>
                    <Table.Th>Action</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Diagnostic</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {recipients.map((r, i) => (
                    <Table.Tr key={i}>
                      <Table.Td style={{ wordBreak: 'break-all' }}>{r.recipient ?? '—'}</Table.Td>
                      <Table.Td>{r.action}</Table.Td>
                      <Table.Td>{r.status ?? '—'}</Table.Td>
                      <Table.Td style={{ wordBreak: 'break-word' }}>{r.diagnostic ?? '—'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          ) : (
            feedbackType === null && (
              <Code block style={{ whiteSpace: 'pre-wrap' }}>
                {JSON.stringify(m.report, null, 2)}
              </Code>
            )
          )}
        </Tabs.Panel>
        <Tabs.Panel value="headers" pt="xs">
          <HeadersTable headers={m.headers} />
        </Tabs.Panel>
        <Tabs.Panel value="raw" pt="xs">
          {m.rawTruncated && (
            <Text size="xs" c="dimmed" mb={4}>
              Only the first 1 MiB of the message is kept.
            </Text>
          )}
          {/* As text, never as HTML: whatever the sender put in it is only shown. */}
          <ScrollArea.Autosize mah={560} type="auto">
            <Text
              component="pre"
              size="xs"
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontFamily: 'monospace', margin: 0 }}
            >
              {m.raw}
            </Text>
          </ScrollArea.Autosize>
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
