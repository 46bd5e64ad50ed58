import { Anchor, Badge, Button, Card, Group, Modal, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { useLists } from '../lists/lists';
import { ActivityTimeline } from './ActivityTimeline';
import { STATUS_COLORS } from './ContactsPage';

export function ContactPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const lists = useLists();
  const [erasing, eraseModal] = useDisclosure(false);
  const contact = useQuery({
    queryKey: ['contacts', id],
    queryFn: () => unwrap(api.GET('/api/v1/contacts/{id}', { params: { path: { id } } })),
  });
  const unsubscribe = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH('/api/v1/contacts/{id}', { params: { path: { id } }, body: { status: 'unsubscribed' } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['contacts'] }),
  });
  const erase = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/contacts/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['contacts'] });
      void navigate('/contacts');
    },
  });

  if (contact.isPending) return <Loading label="Loading contact" />;
  if (contact.isError) return <ErrorAlert error={contact.error} />;
  const c = contact.data;
  const listNames = new Map((lists.data ?? []).map((l) => [l.id, l.name]));
  const attributes = Object.entries(c.attributes);
  return (
    <Stack>
      <Anchor component={Link} to="/contacts" size="sm">
        ← Contacts
      </Anchor>
      <Group justify="space-between">
        <Stack gap={0}>
          <Title order={1}>{c.email}</Title>
          <Text c="dimmed">{[c.firstName, c.lastName].filter(Boolean).join(' ')}</Text>
        </Stack>
        <Group gap="xs">
          <Badge size="lg" color={STATUS_COLORS[c.status]} variant="light">
            {c.status}
          </Badge>
          {c.status === 'subscribed' && (
            <Button variant="default" loading={unsubscribe.isPending} onClick={() => unsubscribe.mutate()}>
              Unsubscribe
            </Button>
          )}
          <Button color="red" variant="light" onClick={eraseModal.open}>
            Erase
          </Button>
        </Group>
      </Group>
      {unsubscribe.isError && <ErrorAlert error={unsubscribe.error} />}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            Attributes
          </Title>
          {attributes.length === 0 ? (
            <Text c="dimmed">No custom attributes.</Text>
          ) : (
            <Table>
              <Table.Tbody>
                {attributes.map(([name, value]) => (
                  <Table.Tr key={name}>
                    <Table.Th scope="row">{name}</Table.Th>
                    <Table.Td>{String(value)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="sm">
            Lists
          </Title>
          {c.listIds.length === 0 ? (
            <Text c="dimmed">In no list.</Text>
          ) : (
            <Group gap="xs">
              {c.listIds.map((listId) => (
                <Badge key={listId} variant="outline">
                  {listNames.get(listId) ?? `List ${listId}`}
                </Badge>
              ))}
            </Group>
          )}
          <Text size="sm" c="dimmed" mt="md">
            Consent: {c.consentSource ?? 'not recorded'}
            {c.consentAt ? `, ${new Date(c.consentAt).toLocaleString()}` : ''}
          </Text>
        </Card>
      </SimpleGrid>
      <ActivityTimeline contactId={c.id} />
      <Modal opened={erasing} onClose={eraseModal.close} title="Erase this contact?">
        <Stack>
          <Text>
            Their personal data is removed for good. If they opted out, their address stays suppressed by its hash only,
            so they are never mailed again.
          </Text>
          {erase.isError && <ErrorAlert error={erase.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={eraseModal.close}>
              Keep
            </Button>
            <Button color="red" loading={erase.isPending} onClick={() => erase.mutate()}>
              Erase
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
