import { Button, Group, Modal, MultiSelect, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert } from '../../ui/states';
import { useLists } from '../lists/lists';

interface Values {
  email: string;
  firstName: string;
  lastName: string;
  listIds: string[];
}

/** Adds a contact; the API's errors appear beside the field they name. */
export function ContactForm({
  opened,
  onClose,
  onSaved,
}: {
  opened: boolean;
  onClose: () => void;
  onSaved: (contact: Schemas['ContactView']) => void;
}) {
  const queryClient = useQueryClient();
  const lists = useLists();
  const form = useForm<Values>({ initialValues: { email: '', firstName: '', lastName: '', listIds: [] } });
  const save = useMutation({
    mutationFn: (v: Values) =>
      unwrap(
        api.POST('/api/v1/contacts', {
          body: {
            email: v.email,
            firstName: v.firstName || null,
            lastName: v.lastName || null,
            status: 'subscribed',
            listIds: v.listIds,
          },
        }),
      ),
    onSuccess: async (contact) => {
      await queryClient.invalidateQueries({ queryKey: ['contacts'] });
      form.reset();
      onClose();
      onSaved(contact);
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Add a contact">
      <form onSubmit={form.onSubmit((v) => save.mutate(v))}>
        <Stack>
          {save.isError && Object.keys((save.error as ApiFailure).fields ?? {}).length === 0 && (
            <ErrorAlert error={save.error} />
          )}
          <TextInput label="Email" type="email" required {...form.getInputProps('email')} />
          <Group grow>
            <TextInput label="First name" {...form.getInputProps('firstName')} />
            <TextInput label="Last name" {...form.getInputProps('lastName')} />
          </Group>
          <MultiSelect
            label="Lists"
            placeholder="None"
            searchable
            data={(lists.data ?? []).map((l) => ({ value: l.id, label: l.name }))}
            {...form.getInputProps('listIds')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Add contact
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
