import {
  Alert,
  Anchor,
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
          <Title order={2} size="h4" mb="xs">
            DNS records to publish
          </Title>
          {dns.isError && <ErrorAlert error={dns.error} />}
          {dns.data && <DnsRecords dns={dns.data} />}
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
