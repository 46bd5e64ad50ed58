import { Anchor, Button, Group, Modal, Stack, Table, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, ApiFailure, unwrap } from '../../api/client';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';
import { useLists } from './lists';

export function ListsPage() {
  const lists = useLists();
  const queryClient = useQueryClient();
  const [creating, createModal] = useDisclosure(false);
  const form = useForm({ initialValues: { name: '', description: '' } });
  const create = useMutation({
    mutationFn: (v: { name: string; description: string }) =>
      unwrap(api.POST('/api/v1/lists', { body: { name: v.name, description: v.description || undefined } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['lists'] });
      form.reset();
      createModal.close();
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Lists</Title>
        <Button onClick={createModal.open}>New list</Button>
      </Group>
      {lists.isError && <ErrorAlert error={lists.error} />}
      {lists.isPending ? (
        <Loading label="Loading lists" />
      ) : lists.data?.length === 0 ? (
        <EmptyState title="No lists yet" action={<Button onClick={createModal.open}>Create a list</Button>}>
          Lists group the contacts a campaign goes to. Create one, then import contacts into it.
        </EmptyState>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th ta="right">Contacts</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lists.data?.map((l) => (
                <Table.Tr key={l.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/lists/${l.id}`}>
                      {l.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{l.description}</Table.Td>
                  <Table.Td ta="right">
                    <Anchor
                      component={Link}
                      to={`/contacts?listId=${l.id}`}
                      aria-label={`${l.memberCount.toLocaleString()} contacts in ${l.name}`}
                    >
                      {l.memberCount.toLocaleString()}
                    </Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={creating} onClose={createModal.close} title="New list">
        <form onSubmit={form.onSubmit((v) => create.mutate(v))}>
          <Stack>
            {create.isError && Object.keys((create.error as ApiFailure).fields ?? {}).length === 0 && (
              <ErrorAlert error={create.error} />
            )}
            <TextInput label="Name" required {...form.getInputProps('name')} />
            <Textarea label="Description" {...form.getInputProps('description')} />
            <Group justify="flex-end">
              <Button variant="default" onClick={createModal.close}>
                Cancel
              </Button>
              <Button type="submit" loading={create.isPending}>
                Create list
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
