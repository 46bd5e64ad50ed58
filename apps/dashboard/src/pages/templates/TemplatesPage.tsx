import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Radio,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { CursorPager, useCursorPages } from '../../ui/CursorPager';
import { EmptyState, ErrorAlert, Loading } from '../../ui/states';

const BLANK = {
  subject: 'News for {{default first_name "you"}}',
  preheader: '',
  body: `<mjml>
  <mj-body>
    <mj-section>
      <mj-column>
        <mj-text font-size="20px">Hello {{default first_name "there"}},</mj-text>
        <mj-text>Write your message here.</mj-text>
        <mj-text font-size="12px" color="#666666">
          {{sender.address}} · <a href="{{unsubscribe_url}}">Unsubscribe</a>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`,
};

/** Every template, for the pickers: templates are few, so all pages are read. */
function useAllTemplates() {
  return useQuery({
    queryKey: ['templates', 'all'],
    queryFn: async () => {
      const all: Schemas['TemplateSummaryDto'][] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(api.GET('/api/v1/templates', { params: { query: { limit: 200, cursor } } }));
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      return all;
    },
  });
}

export function TemplatesPage() {
  const pages = useCursorPages('templates');
  const [creating, createModal] = useDisclosure(false);
  const templates = useQuery({
    queryKey: ['templates', { cursor: pages.cursor }],
    queryFn: () => unwrap(api.GET('/api/v1/templates', { params: { query: { limit: 50, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1}>Templates</Title>
        <Button onClick={createModal.open}>New template</Button>
      </Group>
      {templates.isError && <ErrorAlert error={templates.error} />}
      {templates.isPending ? (
        <Loading label="Loading templates" />
      ) : templates.data?.items.length === 0 && pages.page === 1 ? (
        <EmptyState title="No templates yet" action={<Button onClick={createModal.open}>Create a template</Button>}>
          A template is the design and words of an email, written in MJML so it looks right in every inbox.
        </EmptyState>
      ) : (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Format</Table.Th>
                  <Table.Th>Changed</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {templates.data?.items.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>
                      <Group gap="xs">
                        <Anchor component={Link} to={`/templates/${t.id}`}>
                          {t.name}
                        </Anchor>
                        {t.starter && (
                          <Badge size="xs" variant="light">
                            starter
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>{t.subject}</Table.Td>
                    <Table.Td>{t.format.toUpperCase()}</Table.Td>
                    <Table.Td>{new Date(t.updatedAt).toLocaleString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorPager pages={pages} nextCursor={templates.data?.nextCursor} />
        </>
      )}
      <NewTemplate opened={creating} onClose={createModal.close} />
    </Stack>
  );
}

/** Names a new template and starts it from a blank design or one of the starter designs. */
function NewTemplate({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const all = useAllTemplates();
  const starters = (all.data ?? []).filter((t) => t.starter !== null);
  const form = useForm({ initialValues: { name: '', from: 'blank' } });
  const create = useMutation({
    mutationFn: async (v: { name: string; from: string }) => {
      const source =
        v.from === 'blank'
          ? { ...BLANK, format: 'mjml' as const }
          : await unwrap(api.GET('/api/v1/templates/{id}', { params: { path: { id: v.from } } }));
      return unwrap(
        api.POST('/api/v1/templates', {
          body: {
            name: v.name,
            subject: source.subject,
            preheader: source.preheader,
            format: source.format,
            body: source.body,
          },
        }),
      );
    },
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: ['templates'] });
      form.reset();
      onClose();
      void navigate(`/templates/${created.id}`);
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Modal opened={opened} onClose={onClose} title="New template" size="lg">
      <form onSubmit={form.onSubmit((v) => create.mutate(v))}>
        <Stack>
          {create.isError && <ErrorAlert error={create.error} />}
          <TextInput label="Name" required maxLength={200} {...form.getInputProps('name')} />
          <Radio.Group label="Start from" {...form.getInputProps('from')}>
            <SimpleGrid cols={{ base: 1, sm: 2 }} mt="xs">
              <Radio value="blank" label="A blank design" description="One column, a greeting and the footer" />
              {starters.map((s) => (
                <Radio key={s.id} value={s.id} label={s.name} description={s.subject} />
              ))}
            </SimpleGrid>
          </Radio.Group>
          {all.isPending && (
            <Text size="sm" c="dimmed">
              Loading the starter designs…
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create template
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
