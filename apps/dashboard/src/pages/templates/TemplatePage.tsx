import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Grid,
  Group,
  List,
  Modal,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { frameDocument, GMAIL_CLIP_BYTES, parseSourceError } from './frame';
import type { SourceError } from './MjmlEditor';

const MjmlEditor = lazy(() => import('./MjmlEditor'));

const WIDTHS = { desktop: 680, mobile: 375 } as const;

export function TemplatePage() {
  const { id = '' } = useParams();
  const template = useQuery({
    queryKey: ['templates', id],
    queryFn: () => unwrap(api.GET('/api/v1/templates/{id}', { params: { path: { id } } })),
  });
  if (template.isPending) return <Loading label="Loading template" />;
  if (template.isError) return <ErrorAlert error={template.error} />;
  return <TemplateEditor key={id} template={template.data} />;
}

interface Draft {
  name: string;
  subject: string;
  preheader: string;
  body: string;
}

function TemplateEditor({ template }: { template: Schemas['TemplateDto'] }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>({
    name: template.name,
    subject: template.subject,
    preheader: template.preheader,
    body: template.body,
  });
  const [saved, setSaved] = useState<Draft>(draft);
  const [debounced] = useDebouncedValue(draft, 400);
  const [contact, setContact] = useState<{ id: string; label: string } | null>(null);
  const [width, setWidth] = useState<keyof typeof WIDTHS>('desktop');
  const [deleting, deleteModal] = useDisclosure(false);
  const set = (change: Partial<Draft>) => setDraft((d) => ({ ...d, ...change }));

  const preview = useQuery({
    queryKey: ['templates', 'preview', debounced.subject, debounced.preheader, debounced.body, contact?.id],
    // A preview overtaken by an edit is cancelled, so it does not hold one of the user's preview slots.
    queryFn: ({ signal }) =>
      unwrap(
        api.POST('/api/v1/templates/preview', {
          signal,
          body: {
            subject: debounced.subject,
            preheader: debounced.preheader,
            format: template.format,
            body: debounced.body,
            textBody: template.textBody,
            contactId: contact?.id,
          },
        }),
      ),
    placeholderData: keepPreviousData,
    enabled: debounced.subject.trim() !== '' && debounced.body.trim() !== '',
  });

  const save = useMutation({
    mutationFn: (d: Draft) =>
      unwrap(api.PATCH('/api/v1/templates/{id}', { params: { path: { id: template.id } }, body: d })),
    onSuccess: async (_, d) => {
      setSaved(d);
      await queryClient.invalidateQueries({ queryKey: ['templates'] });
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/templates/{id}', { params: { path: { id: template.id } } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['templates'] });
      void navigate('/templates');
    },
  });

  // The preview's errors describe the draft as typed; a refused save's, the draft as sent.
  const previewErrors = preview.error instanceof ApiFailure ? preview.error.fields : {};
  const fieldErrors = { ...previewErrors, ...(save.error instanceof ApiFailure ? save.error.fields : {}) };
  const bodyErrors: SourceError[] = useMemo(() => {
    const text = fieldErrors.body;
    if (!text) return [];
    const parsed = parseSourceError(text);
    return parsed ? [parsed] : [];
  }, [fieldErrors.body]);
  const dirty = JSON.stringify(draft) !== JSON.stringify(saved);
  const html = useMemo(() => (preview.data ? frameDocument(preview.data.html) : ''), [preview.data]);
  const size = preview.data?.sizeBytes ?? 0;
  const language = template.format === 'mjml' ? 'MJML' : 'HTML';

  return (
    <Stack>
      <Anchor component={Link} to="/templates" size="sm">
        ← Templates
      </Anchor>
      <Group justify="space-between" align="flex-end">
        <Group gap="xs">
          <Title order={1}>{saved.name}</Title>
          <Badge variant="light">{language}</Badge>
        </Group>
        <Group gap="xs">
          <Text size="sm" c="dimmed" role="status">
            {save.isPending ? 'Saving…' : dirty ? 'Unsaved changes' : 'Saved'}
          </Text>
          <Button color="red" variant="light" onClick={deleteModal.open}>
            Delete
          </Button>
          <Button onClick={() => save.mutate(draft)} loading={save.isPending} disabled={!dirty}>
            Save
          </Button>
        </Group>
      </Group>
      {save.isError && !(save.error instanceof ApiFailure && Object.keys(save.error.fields).length > 0) && (
        <ErrorAlert error={save.error} />
      )}
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="sm">
            <TextInput
              label="Name"
              required
              value={draft.name}
              onChange={(e) => set({ name: e.currentTarget.value })}
              error={fieldErrors.name}
            />
            <TextInput
              label="Subject"
              required
              value={draft.subject}
              onChange={(e) => set({ subject: e.currentTarget.value })}
              error={fieldErrors.subject}
            />
            <TextInput
              label="Preheader"
              description="The line inboxes show after the subject"
              value={draft.preheader}
              onChange={(e) => set({ preheader: e.currentTarget.value })}
              error={fieldErrors.preheader}
            />
            <Box>
              <Text size="sm" fw={500} mb={4} id="source-label">
                {language} source
              </Text>
              <Box style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 4, overflow: 'hidden' }}>
                <Suspense fallback={<Loading label="Loading the editor" />}>
                  <MjmlEditor
                    value={draft.body}
                    onChange={(body) => set({ body })}
                    errors={bodyErrors}
                    label={`${language} source`}
                  />
                </Suspense>
              </Box>
              {fieldErrors.body && (
                <Alert color="red" role="alert" mt="xs" title="The source does not compile">
                  {bodyErrors[0] ? `Line ${bodyErrors[0].line}: ${bodyErrors[0].message}` : fieldErrors.body}
                </Alert>
              )}
            </Box>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Stack gap="sm">
            <Group align="flex-end" justify="space-between">
              <ContactPicker value={contact} onChange={setContact} />
              <SegmentedControl
                aria-label="Preview width"
                value={width}
                onChange={(w) => setWidth(w as keyof typeof WIDTHS)}
                data={[
                  { value: 'desktop', label: 'Desktop' },
                  { value: 'mobile', label: 'Mobile' },
                ]}
              />
            </Group>
            {preview.isError && !(preview.error instanceof ApiFailure && preview.error.status === 422) && (
              <ErrorAlert error={preview.error} />
            )}
            <Card withBorder p="sm">
              <Text size="sm" c="dimmed">
                Subject
              </Text>
              <Text fw={600} data-testid="preview-subject">
                {preview.data?.subject ?? '…'}
              </Text>
            </Card>
            <Box
              style={{
                width: '100%',
                maxWidth: WIDTHS[width],
                marginInline: 'auto',
                opacity: preview.isError || preview.isFetching ? 0.6 : 1,
              }}
            >
              {preview.data ? (
                <iframe
                  // A new frame per preview: changing srcdoc in place left the previous document showing after an
                  // edit that followed a compile error (Chromium 156).
                  key={preview.dataUpdatedAt}
                  title="Message preview"
                  sandbox=""
                  srcDoc={html}
                  style={{
                    width: '100%',
                    height: 560,
                    border: '1px solid var(--mantine-color-gray-4)',
                    background: 'white',
                  }}
                />
              ) : (
                <Loading label="Rendering the preview" />
              )}
            </Box>
            {preview.data && (
              <Stack gap={4}>
                <Text size="sm">{(size / 1024).toFixed(1)} KB of HTML; Gmail clips messages above 102 KB</Text>
                <Progress
                  value={Math.min(100, (size / GMAIL_CLIP_BYTES) * 100)}
                  color={size > GMAIL_CLIP_BYTES ? 'red' : size > GMAIL_CLIP_BYTES * 0.8 ? 'yellow' : 'green'}
                  aria-label="Size against Gmail's 102 KB limit"
                />
              </Stack>
            )}
            {preview.data && preview.data.warnings.length > 0 && (
              <Alert color="yellow" title="Worth a look">
                <List size="sm">
                  {preview.data.warnings.map((w) => (
                    <List.Item key={w.code}>{w.message}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
          </Stack>
        </Grid.Col>
      </Grid>
      <Modal opened={deleting} onClose={deleteModal.close} title="Delete this template?">
        <Stack>
          <Text>Campaigns that were already sent keep what they sent; drafts using it will need another template.</Text>
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

/** Whom the preview renders for: sample data, or a contact found by address or name. */
function ContactPicker({
  value,
  onChange,
}: {
  value: { id: string; label: string } | null;
  onChange: (contact: { id: string; label: string } | null) => void;
}) {
  const [search, setSearch] = useState('');
  // Once a contact is chosen the box shows its label: that is not a search.
  const [q] = useDebouncedValue(search === value?.label ? '' : search.trim(), 300);
  const contacts = useQuery({
    queryKey: ['contacts', { q, limit: 20 }],
    queryFn: () => unwrap(api.GET('/api/v1/contacts', { params: { query: { limit: 20, q: q || undefined } } })),
    placeholderData: keepPreviousData,
  });
  const options = (contacts.data?.items ?? []).map((c) => ({
    value: c.id,
    label: [c.email, [c.firstName, c.lastName].filter(Boolean).join(' ')].filter(Boolean).join(' · '),
  }));
  if (value && !options.some((o) => o.value === value.id)) options.unshift({ value: value.id, label: value.label });
  return (
    <Select
      label="Preview as"
      placeholder="Sample data (Jane Doe)"
      searchable
      clearable
      w={320}
      data={options}
      value={value?.id ?? null}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: all }) => all}
      nothingFoundMessage="No contact matches"
      onChange={(id, option) => onChange(id && option ? { id, label: option.label } : null)}
    />
  );
}
