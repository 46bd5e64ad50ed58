import {
  Anchor,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { useCampaigns } from '../campaigns/campaigns';
import { useLists } from '../lists/lists';
import { useFields } from './fields';
import { RuleBuilder } from './RuleBuilder';
import { fieldChoices, fromJson, type GroupNode, newGroup, toJson } from './rules';

/** `/segments/new` and `/segments/:id`: the builder, with the live count beside it. */
export function SegmentPage() {
  const { id } = useParams();
  const segment = useQuery({
    queryKey: ['segments', id],
    queryFn: () => unwrap(api.GET('/api/v1/segments/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: id !== undefined,
  });
  if (id !== undefined && segment.isPending) return <Loading label="Loading segment" />;
  if (segment.isError) return <ErrorAlert error={segment.error} />;
  // A fresh editor per segment, so its state starts from what is stored.
  return <SegmentEditor key={id ?? 'new'} segment={segment.data} />;
}

function SegmentEditor({ segment }: { segment: Schemas['SegmentDetailDto'] | undefined }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const fields = useFields();
  const lists = useLists();
  const campaigns = useCampaigns();
  const [rules, setRules] = useState<GroupNode>(() => (segment ? fromJson(segment.rules) : newGroup('all')));
  const [deleting, deleteModal] = useDisclosure(false);
  const form = useForm({ initialValues: { name: segment?.name ?? '', description: segment?.description ?? '' } });
  const json = useMemo(() => JSON.stringify(toJson(rules)), [rules]);
  const [debouncedJson] = useDebouncedValue(json, 350);

  const preview = useQuery({
    queryKey: ['segments', 'preview', debouncedJson],
    queryFn: () =>
      unwrap(
        api.POST('/api/v1/segments/preview', {
          body: { rules: JSON.parse(debouncedJson) as Record<string, unknown> },
        }),
      ),
    placeholderData: keepPreviousData,
    retry: false,
  });

  const save = useMutation({
    mutationFn: (v: { name: string; description: string }) => {
      const body = { name: v.name, description: v.description || null, rules: toJson(rules) };
      return segment
        ? unwrap(api.PATCH('/api/v1/segments/{id}', { params: { path: { id: segment.id } }, body }))
        : unwrap(api.POST('/api/v1/segments', { body }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      if (!segment) void navigate(`/segments/${saved.id}`, { replace: true });
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/segments/{id}', { params: { path: { id: segment?.id ?? '' } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['segments'] });
      void navigate('/segments');
    },
  });

  // Rule errors come from the live count while editing, and from a refused save.
  const ruleErrors: Record<string, string> = {
    ...(preview.error instanceof ApiFailure && json === debouncedJson ? preview.error.fields : {}),
    ...(save.error instanceof ApiFailure ? pick(save.error.fields, 'rules') : {}),
  };
  const stale = json !== debouncedJson || preview.isFetching;

  // The pickers show names, so what they name is read first.
  if (fields.isPending || lists.isPending || campaigns.isPending) return <Loading label="Loading fields" />;
  if (fields.isError) return <ErrorAlert error={fields.error} />;
  return (
    <Stack>
      <Anchor component={Link} to="/segments" size="sm">
        ← Segments
      </Anchor>
      <form onSubmit={form.onSubmit((v) => save.mutate(v))}>
        <Stack>
          <Group justify="space-between" align="flex-end">
            <Title order={1}>{segment ? segment.name : 'New segment'}</Title>
            <Group gap="xs">
              {segment && (
                <Button color="red" variant="light" onClick={deleteModal.open}>
                  Delete
                </Button>
              )}
              <Button type="submit" loading={save.isPending}>
                {segment ? 'Save changes' : 'Save segment'}
              </Button>
            </Group>
          </Group>
          {save.isError && !(save.error instanceof ApiFailure && Object.keys(save.error.fields).length > 0) && (
            <ErrorAlert error={save.error} />
          )}
          {save.isSuccess && !save.isPending && (
            <Text c="green" size="sm" role="status">
              Saved.
            </Text>
          )}
          <Group grow align="flex-start">
            <TextInput label="Name" required maxLength={200} {...form.getInputProps('name')} />
            <Textarea label="Description" autosize maxRows={3} {...form.getInputProps('description')} />
          </Group>
        </Stack>
      </form>
      <Grid>
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <RuleBuilder
            value={rules}
            onChange={setRules}
            fields={fieldChoices(fields.data)}
            lists={lists.data ?? []}
            campaigns={campaigns.data ?? []}
            errors={ruleErrors}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Card withBorder>
            <Stack gap="xs">
              <Title order={2} size="h4">
                Matching now
              </Title>
              <Text size="xl" fw={700} aria-live="polite" data-testid="segment-count" opacity={stale ? 0.5 : 1}>
                {preview.data === undefined
                  ? preview.isError
                    ? '—'
                    : '…'
                  : `${preview.data.count.toLocaleString()} ${preview.data.count === 1 ? 'contact' : 'contacts'}`}
              </Text>
              {preview.isError && !(preview.error instanceof ApiFailure && preview.error.status === 400) && (
                <ErrorAlert error={preview.error} />
              )}
              {preview.isError && preview.error instanceof ApiFailure && preview.error.status === 400 && (
                <Text size="sm" c="red">
                  Fix the rules marked in red to count again.
                </Text>
              )}
              {preview.data && preview.data.sample.length > 0 && (
                <Table aria-label="Matching contacts">
                  <Table.Tbody>
                    {preview.data.sample.map((c) => (
                      <Table.Tr key={c.id}>
                        <Table.Td>
                          <Anchor component={Link} to={`/contacts/${c.id}`} size="sm">
                            {c.email}
                          </Anchor>
                          <Text size="xs" c="dimmed">
                            {[c.firstName, c.lastName].filter(Boolean).join(' ')}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Badge variant="light" size="sm">
                            {c.status}
                          </Badge>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
              {preview.data && preview.data.count > preview.data.sample.length && (
                <Text size="xs" c="dimmed">
                  The first {preview.data.sample.length} by id.
                </Text>
              )}
            </Stack>
          </Card>
        </Grid.Col>
      </Grid>
      <Modal opened={deleting} onClose={deleteModal.close} title="Delete this segment?">
        <Stack>
          <Text>The segment's rules are removed; its contacts stay as they are.</Text>
          {remove.isError && <ErrorAlert error={remove.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={deleteModal.close}>
              Keep
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

function pick(fields: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => key === prefix || key.startsWith(`${prefix}.`)));
}
