import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

type Endpoint = Schemas['WebhookView'];
type EventType = Endpoint['eventTypes'][number];
type Delivery = Schemas['WebhookDeliveryView'];

/** Every type the API accepts, in its order; a `Record` so a type added to the API fails the build until it is named here. */
const EVENT_LABELS: Record<EventType, string> = {
  sent: 'Sent: the receiving server accepted a message',
  delivered: 'Delivered (not reported yet)',
  bounced: 'Bounced: refused permanently',
  opened: 'Opened',
  clicked: 'Clicked',
  unsubscribed: 'Unsubscribed',
  complained: 'Complained (not reported yet)',
  subscribed: 'Subscribed through a sign-up form',
};
const EVENT_TYPES = Object.keys(EVENT_LABELS) as EventType[];

const DELIVERY_COLORS: Record<Delivery['status'], string> = {
  pending: 'yellow',
  sending: 'blue',
  delivered: 'green',
  failed: 'red',
};

const WEBHOOKS = ['webhooks'] as const;
const time = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/** Webhook endpoints (admins only): where Herald POSTs what happened to messages and contacts. */
export function Webhooks() {
  const queryClient = useQueryClient();
  const pages = useCursorPages('webhooks');
  const [adding, addModal] = useDisclosure(false);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [showing, setShowing] = useState<Endpoint | null>(null);
  const [deleting, setDeleting] = useState<Endpoint | null>(null);
  const endpoints = useQuery({
    queryKey: [...WEBHOOKS, { cursor: pages.cursor }],
    queryFn: () => unwrap(api.GET('/api/v1/webhooks', { params: { query: { limit: 50, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  const setEnabled = useMutation({
    mutationFn: (v: { id: string; enabled: boolean }) =>
      unwrap(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: v.id } }, body: { enabled: v.enabled } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: WEBHOOKS }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setDeleting(null);
      await queryClient.invalidateQueries({ queryKey: WEBHOOKS });
    },
  });
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <Title order={2} size="h3">
            Webhooks
          </Title>
          <Button onClick={addModal.open}>Add endpoint</Button>
        </Group>
        <Text c="dimmed" size="sm">
          Herald POSTs events to each endpoint as signed JSON batches and retries until a 2xx comes back.
        </Text>
        {secret && (
          <SecretShown title={`Endpoint ${secret.url} added`} secret={secret.secret} onDone={() => setSecret(null)} />
        )}
        {setEnabled.isError && <ErrorAlert error={setEnabled.error} />}
        {endpoints.isError && <ErrorAlert error={endpoints.error} />}
        {endpoints.isPending ? (
          <Loading label="Loading webhooks" />
        ) : endpoints.data?.items.length === 0 ? (
          <EmptyState title="No webhook endpoints" action={<Button onClick={addModal.open}>Add an endpoint</Button>}>
            Add an https URL to hear about sends, bounces, opens, clicks, unsubscribes and sign-ups as they happen.
          </EmptyState>
        ) : (
          <>
            <Table.ScrollContainer minWidth={720}>
              <Table aria-label="Webhook endpoints">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>URL</Table.Th>
                    <Table.Th>Events</Table.Th>
                    <Table.Th>On</Table.Th>
                    <Table.Th>Latest attempt</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {endpoints.data?.items.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td maw={320} style={{ overflowWrap: 'anywhere' }}>
                        <Text size="sm">{e.url}</Text>
                        {e.description && (
                          <Text size="xs" c="dimmed">
                            {e.description}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {e.eventTypes.map((type) => (
                            <Badge key={type} variant="light" size="sm">
                              {type}
                            </Badge>
                          ))}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Switch
                          aria-label={`Send events to ${e.url}`}
                          checked={e.enabled}
                          disabled={setEnabled.isPending && setEnabled.variables?.id === e.id}
                          onChange={(event) => setEnabled.mutate({ id: e.id, enabled: event.currentTarget.checked })}
                        />
                      </Table.Td>
                      <Table.Td>
                        <LatestAttempt endpoint={e} />
                      </Table.Td>
                      <Table.Td ta="right">
                        <Group gap={4} justify="flex-end" wrap="nowrap">
                          <Button
                            size="xs"
                            variant="subtle"
                            aria-label={`Deliveries to ${e.url}`}
                            onClick={() => setShowing(e)}
                          >
                            Deliveries
                          </Button>
                          <Button
                            size="xs"
                            variant="subtle"
                            color="red"
                            aria-label={`Delete the endpoint ${e.url}`}
                            onClick={() => setDeleting(e)}
                          >
                            Delete
                          </Button>
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <CursorPager pages={pages} nextCursor={endpoints.data?.nextCursor} />
          </>
        )}
      </Stack>
      <AddEndpoint
        opened={adding}
        onClose={addModal.close}
        onAdded={(created) => setSecret({ url: created.url, secret: created.secret })}
      />
      {showing && <Deliveries endpoint={showing} onClose={() => setShowing(null)} />}
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title="Delete this endpoint?">
        <Stack>
          <Text style={{ overflowWrap: 'anywhere' }}>
            {deleting?.url} gets nothing more; its waiting events and its delivery log are deleted.
          </Text>
          {remove.isError && <ErrorAlert error={remove.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>
              Keep
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => deleting && remove.mutate(deleting.id)}>
              Delete endpoint
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function LatestAttempt({ endpoint }: { endpoint: Endpoint }) {
  if (endpoint.lastAttemptAt === null) {
    return (
      <Text size="sm" c="dimmed">
        none yet
      </Text>
    );
  }
  const ok = endpoint.lastError === null;
  return (
    <Stack gap={2}>
      <Group gap={4}>
        <Badge color={ok ? 'green' : 'red'} variant="light" size="sm">
          {ok ? 'delivered' : 'failed'}
        </Badge>
        {endpoint.lastStatus !== null && <Text size="xs">HTTP {endpoint.lastStatus}</Text>}
      </Group>
      <Text size="xs" c="dimmed">
        {time(endpoint.lastAttemptAt)}
      </Text>
      {endpoint.lastError && (
        <Text size="xs" c="red">
          {endpoint.lastError}
        </Text>
      )}
    </Stack>
  );
}

/** A signing secret the API returns once: copy it now, it cannot be read again. */
function SecretShown({ title, secret, onDone }: { title: string; secret: string; onDone: () => void }) {
  return (
    <Alert color="green" title={title} role="status" styles={{ title: { overflowWrap: 'anywhere' } }}>
      <Stack gap="xs">
        <Text size="sm">
          Copy the signing secret now: it is shown this once. Check <Code>Herald-Signature</Code> with it on every
          request.
        </Text>
        <Group gap="xs">
          <Code data-testid="new-webhook-secret">{secret}</Code>
          <CopyButton value={secret}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
          <Button size="xs" variant="subtle" onClick={onDone}>
            Done
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

interface EndpointForm {
  url: string;
  description: string;
  eventTypes: EventType[];
}

function AddEndpoint({
  opened,
  onClose,
  onAdded,
}: {
  opened: boolean;
  onClose: () => void;
  onAdded: (created: Schemas['CreatedWebhookView']) => void;
}) {
  const queryClient = useQueryClient();
  const form = useForm<EndpointForm>({ initialValues: { url: 'https://', description: '', eventTypes: [] } });
  const add = useMutation({
    mutationFn: (v: EndpointForm) =>
      unwrap(
        api.POST('/api/v1/webhooks', {
          body: { url: v.url, eventTypes: v.eventTypes, description: v.description },
        }),
      ),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: WEBHOOKS });
      form.reset();
      onClose();
      onAdded(created);
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Add a webhook endpoint" size="lg">
      <form onSubmit={form.onSubmit((v) => add.mutate(v))}>
        <Stack>
          {add.isError && !(add.error instanceof ApiFailure && Object.keys(add.error.fields).length > 0) && (
            <ErrorAlert error={add.error} />
          )}
          <TextInput
            label="URL"
            description="https, on a public address"
            required
            type="url"
            maxLength={2000}
            {...form.getInputProps('url')}
          />
          <TextInput label="Description" maxLength={500} {...form.getInputProps('description')} />
          <Checkbox.Group label="Events" withAsterisk {...form.getInputProps('eventTypes')}>
            <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs" spacing="xs">
              {EVENT_TYPES.map((type) => (
                <Checkbox key={type} value={type} label={EVENT_LABELS[type]} />
              ))}
            </SimpleGrid>
          </Checkbox.Group>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={add.isPending}>
              Add endpoint
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** One endpoint's delivery log, newest first, with a test event and a new secret on request. */
function Deliveries({ endpoint, onClose }: { endpoint: Endpoint; onClose: () => void }) {
  const queryClient = useQueryClient();
  const pages = useCursorPages(endpoint.id);
  const [secret, setSecret] = useState<string | null>(null);
  const [rotating, rotateModal] = useDisclosure(false);
  const key = [...WEBHOOKS, endpoint.id, 'deliveries', { cursor: pages.cursor }];
  const deliveries = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/webhooks/{id}/deliveries', {
          params: { path: { id: endpoint.id }, query: { limit: 20, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const test = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id: endpoint.id } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: WEBHOOKS }),
  });
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id: endpoint.id } } })),
    onSuccess: (rotated) => {
      rotateModal.close();
      setSecret(rotated.secret);
    },
  });
  return (
    <Modal opened onClose={onClose} title="Deliveries" size="xl">
      <Stack>
        <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
          To <Code>{endpoint.url}</Code>, newest first. Finished deliveries are kept for 7 days.
        </Text>
        <Group gap="xs">
          <Button
            size="xs"
            variant="light"
            loading={test.isPending}
            disabled={!endpoint.enabled}
            onClick={() => test.mutate()}
          >
            Send a test event
          </Button>
          <Button size="xs" variant="default" onClick={rotateModal.open}>
            New signing secret
          </Button>
          {!endpoint.enabled && (
            <Text size="xs" c="dimmed">
              Switched off: it is sent nothing.
            </Text>
          )}
        </Group>
        {test.isError && <ErrorAlert error={test.error} />}
        {test.data && (
          <Text size="sm" role="status" c={test.data.status === 'delivered' ? 'green' : 'red'}>
            {test.data.status === 'delivered'
              ? `The test event was delivered (HTTP ${test.data.lastStatus ?? '—'}).`
              : `The test event was not delivered: ${test.data.lastError ?? `HTTP ${test.data.lastStatus ?? '—'}`}. It is retried.`}
          </Text>
        )}
        {secret && <SecretShown title="New signing secret" secret={secret} onDone={() => setSecret(null)} />}
        {deliveries.isError && <ErrorAlert error={deliveries.error} />}
        {deliveries.isPending ? (
          <Loading label="Loading deliveries" />
        ) : deliveries.data?.items.length === 0 ? (
          <Text c="dimmed" size="sm">
            Nothing delivered yet: events are sent in batches within seconds of happening.
          </Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={680}>
              <Table aria-label="Deliveries">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Events</Table.Th>
                    <Table.Th ta="right">Attempts</Table.Th>
                    <Table.Th>Last answer</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {deliveries.data?.items.map((d) => (
                    <Table.Tr key={d.id}>
                      <Table.Td>{time(d.createdAt)}</Table.Td>
                      <Table.Td>
                        <Badge color={DELIVERY_COLORS[d.status]} variant="light">
                          {d.status}
                        </Badge>
                        {d.status === 'pending' && d.nextAttemptAt && (
                          <Text size="xs" c="dimmed">
                            next {time(d.nextAttemptAt)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>
                        {d.eventCount} ({d.eventTypes.join(', ')})
                      </Table.Td>
                      <Table.Td ta="right">{d.attempts}</Table.Td>
                      <Table.Td>
                        {d.lastStatus !== null && <Text size="sm">HTTP {d.lastStatus}</Text>}
                        {d.lastError && (
                          <Text size="xs" c="red">
                            {d.lastError}
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <CursorPager pages={pages} nextCursor={deliveries.data?.nextCursor} />
          </>
        )}
        <Group justify="flex-end">
          <Anchor component="button" type="button" size="sm" onClick={onClose}>
            Close
          </Anchor>
        </Group>
      </Stack>
      <Modal opened={rotating} onClose={rotateModal.close} title="Replace the signing secret?">
        <Stack>
          <Text>The current secret stops signing at once: update the receiver with the new one straight away.</Text>
          {rotate.isError && <ErrorAlert error={rotate.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={rotateModal.close}>
              Keep
            </Button>
            <Button loading={rotate.isPending} onClick={() => rotate.mutate()}>
              Replace secret
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Modal>
  );
}
