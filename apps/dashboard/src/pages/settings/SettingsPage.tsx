import {
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  Modal,
  PasswordInput,
  Select,
  Stack,
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
import { useSession } from '../../app/session';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { Webhooks } from './Webhooks';

/** `/settings`: your API keys; for admins, the users and webhook endpoints too. */
export function SettingsPage() {
  const session = useSession();
  return (
    <Stack>
      <Title order={1}>Settings</Title>
      <ApiKeys />
      {session.data?.role === 'admin' && <Users selfId={session.data.id} />}
      {session.data?.role === 'admin' && <Webhooks />}
    </Stack>
  );
}

type KeyScope = Schemas['CreateApiKeyDto']['scope'];

function ApiKeys() {
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<Schemas['CreatedApiKeyDto'] | null>(null);
  const [revoking, setRevoking] = useState<Schemas['ApiKeyViewDto'] | null>(null);
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: () => unwrap(api.GET('/api/v1/api-keys')) });
  const form = useForm<{ name: string; scope: KeyScope }>({ initialValues: { name: '', scope: 'full' } });
  const create = useMutation({
    mutationFn: (v: { name: string; scope: KeyScope }) => unwrap(api.POST('/api/v1/api-keys', { body: v })),
    onSuccess: async (key) => {
      setCreated(key);
      form.reset();
      await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h3">
          API keys
        </Title>
        <Text c="dimmed" size="sm">
          A key acts as you for scripts and integrations: send it as <Code>Authorization: Bearer …</Code>.
        </Text>
        <form onSubmit={form.onSubmit((v) => create.mutate(v))}>
          <Group align="flex-start">
            <TextInput label="Key name" placeholder="CRM sync" required w={280} {...form.getInputProps('name')} />
            <Select
              label="Works for"
              w={260}
              allowDeselect={false}
              data={[
                { value: 'full', label: 'The API and the SMTP relay' },
                { value: 'relay', label: 'The SMTP relay only' },
              ]}
              {...form.getInputProps('scope')}
            />
            <Button type="submit" mt={25} loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </form>
        {create.isError && !(create.error instanceof ApiFailure && Object.keys(create.error.fields).length > 0) && (
          <ErrorAlert error={create.error} />
        )}
        {created && (
          <Alert color="green" title={`Key “${created.name}” created`} role="status">
            <Stack gap="xs">
              <Text size="sm">Copy it now: it is shown this once and cannot be read again.</Text>
              <Group gap="xs">
                <Code data-testid="new-api-key">{created.key}</Code>
                <CopyButton value={created.key}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="light" onClick={copy}>
                      {copied ? 'Copied' : 'Copy'}
                    </Button>
                  )}
                </CopyButton>
                <Button size="xs" variant="subtle" onClick={() => setCreated(null)}>
                  Done
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
        {keys.isError && <ErrorAlert error={keys.error} />}
        {keys.isPending ? (
          <Loading label="Loading API keys" />
        ) : keys.data?.items.length === 0 ? (
          <Text c="dimmed" size="sm">
            No API keys yet. Create one for each integration, so each can be revoked alone.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table aria-label="API keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Starts with</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {keys.data?.items.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>{k.name}</Table.Td>
                    <Table.Td>
                      <Code>{k.prefix}…</Code>
                    </Table.Td>
                    <Table.Td>{new Date(k.createdAt).toLocaleString()}</Table.Td>
                    <Table.Td>{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : 'never'}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={`Revoke the key ${k.name}`}
                        onClick={() => setRevoking(k)}
                      >
                        Revoke
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke this key?">
        <Stack>
          <Text>Whatever uses “{revoking?.name}” is refused from now on. This cannot be undone.</Text>
          {revoke.isError && <ErrorAlert error={revoke.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>
              Keep
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoking && revoke.mutate(revoking.id)}>
              Revoke key
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Card>
  );
}

function Users({ selfId }: { selfId: string }) {
  const queryClient = useQueryClient();
  const pages = useCursorPages('users');
  const [inviting, inviteModal] = useDisclosure(false);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const users = useQuery({
    queryKey: ['users', { cursor: pages.cursor }],
    queryFn: () => unwrap(api.GET('/api/v1/users', { params: { query: { limit: 50, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  const setActive = useMutation({
    mutationFn: (v: { id: string; active: boolean }) =>
      unwrap(api.PATCH('/api/v1/users/{id}', { params: { path: { id: v.id } }, body: { active: v.active } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
  return (
    <Card withBorder>
      <Stack>
        <Group justify="space-between">
          <Title order={2} size="h3">
            Users
          </Title>
          <Button onClick={inviteModal.open}>Invite a user</Button>
        </Group>
        {link && (
          <Alert color="green" title={`${link.email} is invited`} role="status">
            <Stack gap="xs">
              <Text size="sm">Send them this link to choose their password. It works once and is shown only now.</Text>
              <Group gap="xs">
                <Code data-testid="invite-link">{link.url}</Code>
                <CopyButton value={link.url}>
                  {({ copied, copy }) => (
                    <Button size="xs" variant="light" onClick={copy}>
                      {copied ? 'Copied' : 'Copy'}
                    </Button>
                  )}
                </CopyButton>
                <Button size="xs" variant="subtle" onClick={() => setLink(null)}>
                  Done
                </Button>
              </Group>
            </Stack>
          </Alert>
        )}
        {setActive.isError && <ErrorAlert error={setActive.error} />}
        {users.isError && <ErrorAlert error={users.error} />}
        {users.isPending ? (
          <Loading label="Loading users" />
        ) : users.data?.items.length === 0 ? (
          <EmptyState title="No users">Invite the people who send campaigns with you.</EmptyState>
        ) : (
          <>
            <Table.ScrollContainer minWidth={640}>
              <Table aria-label="Users">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Email</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {users.data?.items.map((u) => (
                    <Table.Tr key={u.id}>
                      <Table.Td>{u.email}</Table.Td>
                      <Table.Td>{u.role}</Table.Td>
                      <Table.Td>
                        <Badge color={!u.active ? 'gray' : u.passwordSet ? 'green' : 'yellow'} variant="light">
                          {!u.active ? 'deactivated' : u.passwordSet ? 'active' : 'invited'}
                        </Badge>
                      </Table.Td>
                      <Table.Td ta="right">
                        {u.id !== selfId && (
                          <Button
                            size="xs"
                            variant="subtle"
                            color={u.active ? 'red' : undefined}
                            aria-label={`${u.active ? 'Deactivate' : 'Reactivate'} ${u.email}`}
                            loading={setActive.isPending && setActive.variables?.id === u.id}
                            onClick={() => setActive.mutate({ id: u.id, active: !u.active })}
                          >
                            {u.active ? 'Deactivate' : 'Reactivate'}
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <CursorPager pages={pages} nextCursor={users.data?.nextCursor} />
          </>
        )}
      </Stack>
      <InviteUser
        opened={inviting}
        onClose={inviteModal.close}
        onInvited={(created) => {
          if (created.passwordLink) setLink({ email: created.user.email, url: created.passwordLink.url });
        }}
      />
    </Card>
  );
}

function InviteUser({
  opened,
  onClose,
  onInvited,
}: {
  opened: boolean;
  onClose: () => void;
  onInvited: (created: Schemas['CreatedUserDto']) => void;
}) {
  const queryClient = useQueryClient();
  const form = useForm<{ email: string; role: 'admin' | 'member'; password: string }>({
    initialValues: { email: '', role: 'member', password: '' },
  });
  const invite = useMutation({
    mutationFn: (v: { email: string; role: 'admin' | 'member'; password: string }) =>
      unwrap(api.POST('/api/v1/users', { body: { email: v.email, role: v.role, password: v.password || undefined } })),
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['users'] });
      form.reset();
      onClose();
      onInvited(created);
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Invite a user">
      <form onSubmit={form.onSubmit((v) => invite.mutate(v))}>
        <Stack>
          {invite.isError && !(invite.error instanceof ApiFailure && Object.keys(invite.error.fields).length > 0) && (
            <ErrorAlert error={invite.error} />
          )}
          <TextInput label="Email" type="email" required {...form.getInputProps('email')} />
          <Select
            label="Role"
            allowDeselect={false}
            data={[
              { value: 'member', label: 'Member: contacts, templates, campaigns, own API keys' },
              { value: 'admin', label: 'Admin: everything, including users and senders' },
            ]}
            {...form.getInputProps('role')}
          />
          <PasswordInput
            label="Initial password"
            description="Leave empty to get a one-time link they choose their password with"
            autoComplete="new-password"
            {...form.getInputProps('password')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={invite.isPending}>
              Invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
