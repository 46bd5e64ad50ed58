import {
  Anchor,
  Button,
  Card,
  Grid,
  Group,
  Modal,
  ScrollArea,
  Stack,
  Tabs,
  Text,
  TextInput,
  Title,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { MailFrame } from '../../ui/MailFrame';
import { HeadersTable } from '../../ui/HeadersTable';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

/** Mail the sandbox sender delivered: newest first, each message shown without running any of it. */
export function SandboxPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [to, setTo] = useState('');
  const [toQuery] = useDebouncedValue(to.trim(), 300);
  const pages = useCursorPages(toQuery);
  const [clearing, clearModal] = useDisclosure(false);
  const messages = useQuery({
    queryKey: ['sandbox', 'list', { to: toQuery, cursor: pages.cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/sandbox/messages', {
          params: { query: { limit: 50, cursor: pages.cursor, to: toQuery || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 5000,
  });
  const clear = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/sandbox/messages')),
    onSuccess: async () => {
      clearModal.close();
      queryClient.removeQueries({ queryKey: ['sandbox'] });
      await queryClient.invalidateQueries({ queryKey: ['sandbox'] });
      void navigate('/sandbox');
    },
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Sandbox inbox</Title>
        <Button color="red" variant="light" onClick={clearModal.open} disabled={messages.data?.items.length === 0}>
          Clear inbox
        </Button>
      </Group>
      <Text c="dimmed" size="sm">
        Campaigns and tests sent through the sandbox sender land here instead of reaching anyone.
      </Text>
      {messages.isError && <ErrorAlert error={messages.error} />}
      {clear.isError && <ErrorAlert error={clear.error} />}
      <Grid>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack gap="xs">
            <TextInput
              label="Recipient"
              description="Only messages to this exact address"
              placeholder="Any address"
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
            />
            {messages.isPending ? (
              <Loading label="Loading messages" />
            ) : messages.data?.items.length === 0 ? (
              <EmptyState title={toQuery ? 'No message to this address' : 'The sandbox inbox is empty'}>
                {toQuery
                  ? 'Check the address or clear the filter.'
                  : 'Send a test or a campaign through the sandbox sender and it appears here.'}
              </EmptyState>
            ) : (
              <>
                <Stack
                  gap={4}
                  component="ul"
                  aria-label="Messages"
                  style={{ listStyle: 'none', padding: 0, margin: 0 }}
                >
                  {messages.data?.items.map((m) => (
                    <li key={m.id}>
                      <UnstyledButton
                        component={Link}
                        to={`/sandbox/${m.id}`}
                        aria-current={m.id === id ? 'true' : undefined}
                        p="xs"
                        w="100%"
                        style={{
                          borderRadius: 4,
                          display: 'block',
                          background: m.id === id ? 'var(--mantine-color-blue-light)' : undefined,
                        }}
                      >
                        <Text size="sm" fw={600} lineClamp={1}>
                          {m.subject ?? '(no subject)'}
                        </Text>
                        <Text size="xs" c="dimmed" lineClamp={1}>
                          {m.envelopeTo.join(', ')} · {new Date(m.receivedAt).toLocaleString()}
                        </Text>
                      </UnstyledButton>
                    </li>
                  ))}
                </Stack>
                <CursorPager pages={pages} nextCursor={messages.data?.nextCursor} />
              </>
            )}
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 8 }}>
          {id === undefined ? (
            messages.data?.items.length ? (
              <Text c="dimmed">Choose a message to read it.</Text>
            ) : null
          ) : (
            <SandboxMessage id={id} />
          )}
        </Grid.Col>
      </Grid>
      <Modal opened={clearing} onClose={clearModal.close} title="Empty the sandbox inbox?">
        <Stack>
          <Text>Every captured message is deleted. Campaign reports are not affected.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={clearModal.close}>
              Keep them
            </Button>
            <Button color="red" loading={clear.isPending} onClick={() => clear.mutate()}>
              Clear inbox
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function SandboxMessage({ id }: { id: string }) {
  const message = useQuery({
    queryKey: ['sandbox', id],
    queryFn: () => unwrap(api.GET('/api/v1/sandbox/messages/{id}', { params: { path: { id } } })),
  });
  if (message.isPending) return <Loading label="Loading message" />;
  if (message.isError) return <ErrorAlert error={message.error} />;
  const m = message.data;
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between" align="start">
          <Title order={2} size="h3" style={{ wordBreak: 'break-word' }}>
            {m.subject ?? '(no subject)'}
          </Title>
          <Anchor href={`/api/v1/sandbox/messages/${encodeURIComponent(m.id)}/raw`} download={`message-${m.id}.eml`}>
            Download raw
          </Anchor>
        </Group>
        <Text size="sm">
          <Text span fw={600}>
            From:
          </Text>{' '}
          {m.from ?? m.envelopeFrom ?? '—'}
        </Text>
        <Text size="sm">
          <Text span fw={600}>
            To:
          </Text>{' '}
          {m.to ?? m.envelopeTo.join(', ')}
        </Text>
        <Text size="sm" c="dimmed">
          {new Date(m.receivedAt).toLocaleString()} · {(m.size / 1024).toFixed(1)} KB
        </Text>
        <Tabs defaultValue={m.html !== null ? 'html' : 'text'} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="html" disabled={m.html === null}>
              HTML
            </Tabs.Tab>
            <Tabs.Tab value="text" disabled={m.text === null}>
              Text
            </Tabs.Tab>
            <Tabs.Tab value="headers">Headers</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="html" pt="xs">
            {m.html !== null && <MailFrame html={m.html} title="Message" />}
          </Tabs.Panel>
          <Tabs.Panel value="text" pt="xs">
            <ScrollArea.Autosize mah={560}>
              <Text component="pre" size="sm" style={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace' }}>
                {m.text}
              </Text>
            </ScrollArea.Autosize>
          </Tabs.Panel>
          <Tabs.Panel value="headers" pt="xs">
            <HeadersTable headers={m.headers} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </Card>
  );
}
