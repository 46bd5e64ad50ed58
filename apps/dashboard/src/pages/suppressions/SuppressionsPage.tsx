import { Badge, Button, Group, Modal, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

type Reason = Schemas['SuppressionView']['reason'];
const REASON_COLORS: Record<Reason, string> = {
  unsubscribed: 'gray',
  bounced: 'orange',
  complained: 'red',
  manual: 'blue',
};

/** `/suppressions`: the addresses never mailed again, looked up by address, added and lifted by hand. */
export function SuppressionsPage() {
  const queryClient = useQueryClient();
  const [search, setSearch] = useState('');
  const [email] = useDebouncedValue(search.trim(), 300);
  const pages = useCursorPages(email);
  const [adding, addModal] = useDisclosure(false);
  const [lifting, setLifting] = useState<Schemas['SuppressionView'] | null>(null);
  const suppressions = useQuery({
    queryKey: ['suppressions', { email, cursor: pages.cursor }],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/suppressions', {
          params: { query: { limit: 50, cursor: pages.cursor, email: email || undefined } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const lift = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/suppressions/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['suppressions'] });
      setLifting(null);
    },
  });
  const searchError =
    suppressions.error instanceof ApiFailure && suppressions.error.status === 400
      ? (suppressions.error.fields.email ?? suppressions.error.message)
      : undefined;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Suppressions</Title>
        <Button onClick={addModal.open}>Suppress an address</Button>
      </Group>
      <Text c="dimmed" maw={720}>
        Addresses here are never mailed, whatever a list, import or API call says: opt-outs, bounces, complaints and the
        ones added by hand.
      </Text>
      <TextInput
        label="Find an address"
        description="The whole address; erased contacts are found by its hash"
        placeholder="someone@example.com"
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        error={searchError}
        w={360}
      />
      {suppressions.isError && !searchError && <ErrorAlert error={suppressions.error} />}
      {suppressions.isPending ? (
        <Loading label="Loading suppressions" />
      ) : suppressions.data?.items.length === 0 ? (
        email ? (
          <EmptyState title="Not suppressed">{email} may be mailed.</EmptyState>
        ) : (
          <EmptyState
            title="No suppressed addresses"
            action={<Button onClick={addModal.open}>Suppress an address</Button>}
          >
            Unsubscribes, bounces and complaints land here by themselves; add an address by hand to stop mail to it.
          </EmptyState>
        )
      ) : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Address</Table.Th>
                  <Table.Th>Reason</Table.Th>
                  <Table.Th>Source</Table.Th>
                  <Table.Th>Since</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {suppressions.data?.items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      {s.email ?? (
                        <Text span c="dimmed" title={s.emailHash}>
                          erased contact
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={REASON_COLORS[s.reason]} variant="light">
                        {s.reason}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{s.source}</Table.Td>
                    <Table.Td>{new Date(s.createdAt).toLocaleString()}</Table.Td>
                    <Table.Td ta="right">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        aria-label={`Lift the suppression of ${s.email ?? 'an erased contact'}`}
                        onClick={() => setLifting(s)}
                      >
                        Lift
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={suppressions.data?.nextCursor} />
        </>
      )}
      <AddSuppression opened={adding} onClose={addModal.close} />
      <Modal opened={lifting !== null} onClose={() => setLifting(null)} title="Lift this suppression?">
        <Stack>
          <Text>
            {lifting?.email ?? 'This erased contact'} may be mailed again once it is subscribed to a list. Do this only
            when the person asked for it.
          </Text>
          {lift.isError && <ErrorAlert error={lift.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setLifting(null)}>
              Keep
            </Button>
            <Button color="red" loading={lift.isPending} onClick={() => lifting && lift.mutate(lifting.id)}>
              Lift suppression
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function AddSuppression({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const form = useForm<{ email: string; reason: Reason; source: string }>({
    initialValues: { email: '', reason: 'manual', source: '' },
  });
  const add = useMutation({
    mutationFn: (v: { email: string; reason: Reason; source: string }) =>
      unwrap(
        api.POST('/api/v1/suppressions', {
          body: { email: v.email, reason: v.reason, source: v.source || undefined },
        }),
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['suppressions'] });
      form.reset();
      onClose();
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Suppress an address">
      <form onSubmit={form.onSubmit((v) => add.mutate(v))}>
        <Stack>
          {add.isError && !(add.error instanceof ApiFailure && Object.keys(add.error.fields).length > 0) && (
            <ErrorAlert error={add.error} />
          )}
          <TextInput label="Email" type="email" required {...form.getInputProps('email')} />
          <Select
            label="Reason"
            allowDeselect={false}
            data={Object.keys(REASON_COLORS)}
            {...form.getInputProps('reason')}
          />
          <TextInput label="Source" placeholder="support ticket 1234" {...form.getInputProps('source')} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={add.isPending}>
              Suppress
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
