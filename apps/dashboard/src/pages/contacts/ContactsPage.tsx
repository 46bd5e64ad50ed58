import { Badge, Button, Group, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { ContactForm } from './ContactForm';
import { useLists } from '../lists/lists';

type Status = Schemas['ContactView']['status'];
export const STATUS_COLORS: Record<Status, string> = {
  subscribed: 'green',
  unsubscribed: 'gray',
  bounced: 'orange',
  complained: 'red',
};

export function ContactsPage() {
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [status, setStatus] = useState<Status | null>(null);
  const [params, setParams] = useSearchParams();
  const listId = params.get('listId');
  const setListId = (value: string | null) => setParams(value === null ? {} : { listId: value });
  const pages = useCursorPages(`${q}|${status}|${listId}`);
  const lists = useLists();
  const [adding, addModal] = useDisclosure(false);

  const contacts = useQuery({
    queryKey: ['contacts', { q, status, listId, cursor: pages.cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/contacts', {
          params: {
            query: {
              limit: 50,
              cursor: pages.cursor,
              q: q || undefined,
              status: status ?? undefined,
              listId: listId ?? undefined,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const filtered = q !== '' || status !== null || listId !== null;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Contacts</Title>
        <Group gap="xs">
          <Button variant="default" component={Link} to="/imports/new">
            Import CSV
          </Button>
          <Button onClick={addModal.open}>Add contact</Button>
        </Group>
      </Group>
      <Group align="end">
        <TextInput
          label="Search"
          placeholder="Email or name"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={280}
        />
        <Select
          label="Status"
          placeholder="Any status"
          clearable
          data={Object.keys(STATUS_COLORS)}
          value={status}
          onChange={(value) => setStatus(value as Status | null)}
          w={180}
        />
        <Select
          label="List"
          placeholder="Any list"
          clearable
          searchable
          data={(lists.data ?? []).map((l) => ({ value: l.id, label: l.name }))}
          value={listId}
          onChange={setListId}
          w={220}
        />
      </Group>
      {contacts.isError && <ErrorAlert error={contacts.error} />}
      {contacts.isPending ? (
        <Loading label="Loading contacts" />
      ) : contacts.data?.items.length === 0 ? (
        filtered ? (
          <EmptyState title="No contact matches">Change the search or the filters.</EmptyState>
        ) : (
          <EmptyState
            title="No contacts yet"
            action={
              <Button component={Link} to="/imports/new">
                Import a CSV
              </Button>
            }
          >
            Import a CSV export (Mailchimp and Brevo exports work as they are) or add a contact by hand.
          </EmptyState>
        )
      ) : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Added</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {contacts.data?.items.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>
                      <Link to={`/contacts/${c.id}`}>{c.email}</Link>
                    </Table.Td>
                    <Table.Td>{[c.firstName, c.lastName].filter(Boolean).join(' ')}</Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLORS[c.status]} variant="light">
                        {c.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{new Date(c.createdAt).toLocaleDateString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={contacts.data?.nextCursor} />
        </>
      )}
      <ContactForm opened={adding} onClose={addModal.close} onSaved={(c) => navigate(`/contacts/${c.id}`)} />
    </Stack>
  );
}
