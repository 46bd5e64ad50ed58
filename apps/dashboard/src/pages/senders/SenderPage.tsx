import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { SenderForm } from './SenderForm';

export function SenderPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, editModal] = useDisclosure(false);
  const [deleting, deleteModal] = useDisclosure(false);
  const sender = useQuery({
    queryKey: ['senders', id],
    queryFn: () => unwrap(api.GET('/api/v1/senders/{id}', { params: { path: { id } } })),
  });
  const dns = useQuery({
    queryKey: ['senders', id, 'dns'],
    queryFn: () => unwrap(api.GET('/api/v1/senders/{id}/dns', { params: { path: { id } } })),
    enabled: sender.data?.kind === 'smtp',
  });
  // Asked only on the button: each check queries DNS again.
  const dnsCheck = useQuery({
    queryKey: ['senders', id, 'dns', 'check'],
    queryFn: () => unwrap(api.GET('/api/v1/senders/{id}/dns/check', { params: { path: { id } } })),
    enabled: false,
    retry: false,
  });
  const verify = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/senders/{id}/verify', { params: { path: { id } } })),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/senders/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['senders', id] });
      await queryClient.invalidateQueries({ queryKey: ['senders'] });
      void navigate('/senders');
    },
    onError: deleteModal.close,
  });

  if (sender.isPending) return <Loading label="Loading sender" />;
  if (sender.isError) return <ErrorAlert error={sender.error} />;
  const s = sender.data;
  const sandbox = s.kind === 'sandbox';
  return (
    <Stack>
      <Anchor component={Link} to="/senders" size="sm">
        ← Senders
      </Anchor>
      <Group justify="space-between" align="start">
        <Stack gap={4}>
          <Title order={1}>{s.name}</Title>
          <Text c="dimmed">{s.fromName ? `${s.fromName} <${s.fromEmail}>` : s.fromEmail}</Text>
        </Stack>
        <Group gap="xs">
          <Button variant="default" loading={verify.isPending} onClick={() => verify.mutate()}>
            Verify connection
          </Button>
          <Button variant="default" onClick={editModal.open}>
            Edit
          </Button>
          <Button color="red" variant="subtle" onClick={deleteModal.open}>
            Delete
          </Button>
        </Group>
      </Group>
      {s.disabledReason && (
        <Alert color="red" title="Out of service">
          {s.disabledReason} Saving any change puts it back in service.
        </Alert>
      )}
      {verify.isError && <ErrorAlert error={verify.error} />}
      {verify.data && <VerifyResult result={verify.data} />}
      {remove.isError && <ErrorAlert error={remove.error} />}
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Connection
          </Title>
          {sandbox ? (
            <Text size="sm">Herald's own sandbox inbox: mail stays inside Herald.</Text>
          ) : (
            <Stack gap={4}>
              <Text size="sm">
                {s.host}:{s.port}, {s.security === 'none' ? 'no encryption' : s.security.toUpperCase()}
              </Text>
              <Text size="sm">User: {s.username ?? 'none'}</Text>
              <Text size="sm">Password: {s.hasPassword ? 'stored' : 'none'}</Text>
            </Stack>
          )}
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Limits
          </Title>
          <Stack gap={4}>
            <Text size="sm">{s.ratePerSecond} messages per second</Text>
            <Text size="sm">
              {s.dailyLimit === null ? 'No daily limit' : `${s.dailyLimit.toLocaleString()} a day`} ({s.timeZone})
            </Text>
            <Text size="sm">{s.poolSize} connections</Text>
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Footer
          </Title>
          <Text size="sm" style={{ whiteSpace: 'pre-line' }}>
            {s.postalAddress}
          </Text>
          {s.replyTo && <Text size="sm">Replies go to {s.replyTo}</Text>}
        </Card>
      </SimpleGrid>
      {!sandbox && (
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Title order={2} size="h4">
              DNS records to publish
            </Title>
            <Button variant="default" size="xs" loading={dnsCheck.isFetching} onClick={() => void dnsCheck.refetch()}>
              Check DNS
            </Button>
          </Group>
          {dns.isError && <ErrorAlert error={dns.error} />}
          {dns.data && <DnsRecords dns={dns.data} />}
          {(dnsCheck.data || dnsCheck.isError) && (
            <Stack gap="xs" mt="md">
              <Title order={3} size="h5">
                What DNS says now
              </Title>
              {dnsCheck.isError ? (
                <ErrorAlert error={dnsCheck.error} />
              ) : (
                dnsCheck.data && <DnsCheckResult result={dnsCheck.data} />
              )}
            </Stack>
          )}
        </Card>
      )}
      <SenderForm key={s.updatedAt} sender={s} opened={editing} onClose={editModal.close} />
      <Modal opened={deleting} onClose={deleteModal.close} title="Delete this sender?">
        <Stack>
          <Text>A sender that a campaign uses cannot be deleted; take it out of those campaigns first.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={deleteModal.close}>
              Keep it
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function VerifyResult({ result }: { result: Schemas['VerifyResultView'] }) {
  return (
    <Alert
      color={result.ok ? 'green' : 'red'}
      title={result.ok ? 'The server accepts Herald' : `It failed at: ${result.stage}`}
      role="status"
    >
      <Text size="sm">{result.message}</Text>
      {result.reply && (
        <Code block mt="xs">
          {result.reply}
        </Code>
      )}
    </Alert>
  );
}

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value}>
      {({ copied, copy }) => (
        <Button
          size="compact-xs"
          variant="light"
          color={copied ? 'teal' : 'gray'}
          onClick={copy}
          aria-label={`Copy ${label}`}
          style={{ flexShrink: 0 }}
        >
          {copied ? 'Copied' : 'Copy'}
        </Button>
      )}
    </CopyButton>
  );
}

function DnsRecords({ dns }: { dns: Schemas['SenderDnsView'] }) {
  const records: [string, Schemas['DnsRecordView'] | null][] = [
    ['SPF', dns.spf],
    ['DKIM', dns.dkim],
    ['DMARC', dns.dmarc],
  ];
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table aria-label="DNS records">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Record</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Value</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {records.map(([kind, r]) =>
            r === null ? (
              <Table.Tr key={kind}>
                <Table.Th scope="row">{kind}</Table.Th>
                <Table.Td colSpan={2}>
                  <Text size="sm" c="dimmed">
                    No DKIM key yet: edit the sender and generate or upload one to get its record.
                  </Text>
                </Table.Td>
              </Table.Tr>
            ) : (
              <Table.Tr key={kind}>
                <Table.Th scope="row" style={{ verticalAlign: 'top' }}>
                  <Text fw={700} size="sm">
                    {kind}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {r.type}
                  </Text>
                </Table.Th>
                <Table.Td style={{ verticalAlign: 'top' }}>
                  <Group gap={4} wrap="nowrap">
                    <Code>{r.name}</Code>
                    <Copy value={r.name} label={`${kind} name`} />
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" align="start">
                    <Code style={{ wordBreak: 'break-all' }}>{r.value}</Code>
                    <Copy value={r.value} label={`${kind} value`} />
                  </Group>
                  <Text size="xs" c="dimmed" mt={4}>
                    {r.note}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ),
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

type Check = Schemas['DnsCheckView'];

const STATUS_COLOR: Record<Check['status'], string> = { ok: 'green', missing: 'red', wrong: 'red', error: 'orange' };

const CHECK_LABEL: Record<Check['id'], string> = {
  spf: 'SPF',
  dkim: 'DKIM',
  dmarc: 'DMARC',
  spf_alignment: 'SPF alignment',
  dkim_alignment: 'DKIM alignment',
};

/** What DNS holds for a sender beside what it should: one row per check, each with what to do about it. */
function DnsCheckResult({ result }: { result: Schemas['SenderDnsCheckView'] }) {
  const lookupsFailed = result.checks.every((c) => c.status === 'error');
  return (
    <Stack gap="xs">
      <Text size="sm" role="status">
        {result.ok
          ? `Everything is published for ${result.domain} and aligns with the From address.`
          : lookupsFailed
            ? `DNS did not answer for ${result.domain}: nothing could be checked. Try again later, or check the DNS servers Herald asks.`
            : `Some records for ${result.domain} need attention: each row says what to do.`}{' '}
        <Text span size="xs" c="dimmed">
          Asked {result.resolver} at {new Date(result.checkedAt).toLocaleString()}.
        </Text>
      </Text>
      <Table.ScrollContainer minWidth={720}>
        <Table aria-label="DNS check" verticalSpacing="xs" layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w="16%">Check</Table.Th>
              <Table.Th w={100}>Status</Table.Th>
              <Table.Th w="34%">Found</Table.Th>
              <Table.Th>To publish</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.checks.map((check) => (
              <Table.Tr key={check.id}>
                <Table.Th scope="row" style={{ verticalAlign: 'top' }}>
                  <Text fw={700} size="sm">
                    {CHECK_LABEL[check.id]}
                  </Text>
                  {check.name && (
                    <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                      {check.name}
                    </Text>
                  )}
                </Table.Th>
                <Table.Td style={{ verticalAlign: 'top' }}>
                  <Badge color={STATUS_COLOR[check.status]} variant="light">
                    {check.status}
                  </Badge>
                </Table.Td>
                <Table.Td style={{ verticalAlign: 'top' }}>
                  {check.found.length === 0 ? (
                    <Text size="sm" c="dimmed">
                      Nothing
                    </Text>
                  ) : (
                    <Stack gap={4}>
                      {check.found.map((record, i) => (
                        <Code key={i} style={{ wordBreak: 'break-all' }}>
                          {record}
                        </Code>
                      ))}
                    </Stack>
                  )}
                </Table.Td>
                <Table.Td style={{ verticalAlign: 'top' }}>
                  <Group gap={4} wrap="nowrap" align="start">
                    {check.expected === null ? (
                      <Text size="sm" c="dimmed">
                        No change
                      </Text>
                    ) : (
                      <>
                        <Code style={{ wordBreak: 'break-all', minWidth: 0 }}>{check.expected}</Code>
                        <Copy value={check.expected} label={`${CHECK_LABEL[check.id]} record to publish`} />
                      </>
                    )}
                  </Group>
                  <Text size="xs" mt={4} style={{ overflowWrap: 'anywhere' }}>
                    {check.message}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
