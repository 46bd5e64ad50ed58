import {
  Alert,
  Anchor,
  Button,
  Card,
  FileInput,
  Group,
  Progress,
  Radio,
  ScrollArea,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiFailure } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { useLists } from '../lists/lists';
import { useFields } from '../segments/fields';
import { previewCsv, startImport } from './upload';

const CORE_TARGETS = [
  { value: 'ignore', label: 'Skip this column' },
  { value: 'email', label: 'Email' },
  { value: 'firstName', label: 'First name' },
  { value: 'lastName', label: 'Last name' },
  { value: 'status', label: 'Status' },
  { value: 'consentSource', label: 'Consent source' },
  { value: 'consentAt', label: 'Consent date' },
];

type Mode = 'upsert' | 'skip-existing';
type UnknownColumns = 'ignore' | 'attributes';

/** `/imports/new`: choose a CSV, check its columns, pick a list and mode, then upload and follow the import. */
export function ImportWizardPage() {
  const navigate = useNavigate();
  const lists = useLists();
  const fields = useFields();
  const [file, setFile] = useState<File | null>(null);
  const [unknownColumns, setUnknownColumns] = useState<UnknownColumns>('ignore');
  const [choices, setChoices] = useState<Record<string, string>>({});
  const [listId, setListId] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>('upsert');
  const [uploaded, setUploaded] = useState(0);

  const preview = useQuery({
    queryKey: ['imports', 'preview', file?.name, file?.size, file?.lastModified, unknownColumns],
    queryFn: () => previewCsv(file as File, unknownColumns),
    enabled: file !== null,
    retry: false,
    staleTime: Infinity,
  });
  const detected = new Map((preview.data?.columns ?? []).map((c) => [c.header, c.target]));
  const targetOf = (header: string) => choices[header] ?? detected.get(header) ?? 'ignore';
  const header = preview.data?.header ?? [];
  const hasEmail = header.some((h) => targetOf(h) === 'email');
  const doubled = header.map(targetOf).filter((t, i, all) => t !== 'ignore' && all.indexOf(t) !== i);

  const start = useMutation({
    mutationFn: () => {
      // Only what the user changed is sent: the rest the API recognises itself, exactly as previewed.
      const mapping = Object.fromEntries(Object.entries(choices).filter(([h, t]) => detected.get(h) !== t));
      setUploaded(0);
      return startImport({ file: file as File, listId, mode, unknownColumns, mapping }, setUploaded);
    },
    onSuccess: ({ id }) => void navigate(`/imports/${id}`),
  });
  const fieldErrors = start.error instanceof ApiFailure ? start.error.fields : {};

  const targets = [
    ...CORE_TARGETS,
    ...(fields.data ?? []).map((f) => ({ value: `attributes.${f.name}`, label: `Field: ${f.label ?? f.name}` })),
  ];
  // A column the API would make a new field for is offered under that name too.
  for (const target of detected.values()) {
    if (!targets.some((t) => t.value === target)) {
      targets.push({ value: target, label: `New field: ${target.slice('attributes.'.length)}` });
    }
  }

  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/contacts" size="sm">
        ← Contacts
      </Anchor>
      <Title order={1}>Import contacts</Title>
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            1. Choose a CSV file
          </Title>
          <FileInput
            label="CSV file"
            description="Exports from Mailchimp, Brevo or Excel work as they are: the encoding and separator are detected."
            placeholder="Choose a file"
            accept=".csv,text/csv,text/plain"
            clearable
            value={file}
            onChange={(f) => {
              setFile(f);
              setChoices({});
              start.reset();
            }}
            error={fieldErrors.file ?? (preview.error instanceof ApiFailure ? preview.error.fields.file : undefined)}
          />
          {preview.isError && !(preview.error instanceof ApiFailure && preview.error.fields.file) && (
            <ErrorAlert error={preview.error} />
          )}
        </Stack>
      </Card>

      {file !== null && preview.isPending && <Loading label="Reading the file" />}
      {preview.data && (
        <Card withBorder>
          <Stack>
            <Group justify="space-between">
              <Title order={2} size="h4">
                2. Check the columns
              </Title>
              <Text size="sm" c="dimmed">
                {preview.data.encoding.toUpperCase()}, separated by{' '}
                {preview.data.delimiter === '\t' ? 'tabs' : `“${preview.data.delimiter}”`}; the first{' '}
                {preview.data.rows.length} rows
              </Text>
            </Group>
            <Switch
              label="Keep columns that are not recognised as custom fields"
              checked={unknownColumns === 'attributes'}
              onChange={(e) => {
                setUnknownColumns(e.currentTarget.checked ? 'attributes' : 'ignore');
                setChoices({});
              }}
            />
            {fieldErrors.mapping && (
              <Alert color="red" role="alert">
                {fieldErrors.mapping}
              </Alert>
            )}
            {!hasEmail && (
              <Alert color="yellow" role="alert">
                No column is imported as Email: choose the column that holds the addresses.
              </Alert>
            )}
            {doubled.length > 0 && (
              <Alert color="yellow" role="alert">
                More than one column fills {doubled.join(', ')}: choose one.
              </Alert>
            )}
            <ScrollArea type="auto">
              <Table withColumnBorders aria-label="First rows of the file">
                <Table.Thead>
                  <Table.Tr>
                    {header.map((h, i) => (
                      <Table.Th key={i} miw={170}>
                        <Stack gap={4}>
                          <Text size="sm" fw={700}>
                            {h}
                          </Text>
                          <Select
                            size="xs"
                            aria-label={`Column ${h} imports as`}
                            data={targets}
                            value={targetOf(h)}
                            allowDeselect={false}
                            searchable
                            onChange={(t) => t && setChoices((c) => ({ ...c, [h]: t }))}
                          />
                        </Stack>
                      </Table.Th>
                    ))}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {preview.data.rows.map((row, r) => (
                    <Table.Tr key={r}>
                      {header.map((_, c) => (
                        <Table.Td key={c} c={targetOf(header[c]) === 'ignore' ? 'dimmed' : undefined}>
                          <Text size="sm" lineClamp={2}>
                            {row[c] ?? ''}
                          </Text>
                        </Table.Td>
                      ))}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea>
          </Stack>
        </Card>
      )}

      {preview.data && (
        <Card withBorder>
          <Stack>
            <Title order={2} size="h4">
              3. Where the contacts go
            </Title>
            <Select
              label="Add to list"
              placeholder="No list"
              clearable
              searchable
              data={(lists.data ?? []).map((l) => ({ value: l.id, label: l.name }))}
              value={listId}
              onChange={setListId}
              error={fieldErrors.listId}
              maw={360}
            />
            <Radio.Group
              label="Contacts that already exist"
              value={mode}
              onChange={(v) => setMode(v as Mode)}
              error={fieldErrors.mode}
            >
              <Stack gap="xs" mt="xs">
                <Radio value="upsert" label="Update them with the file's values" />
                <Radio value="skip-existing" label="Leave them as they are (still added to the list)" />
              </Stack>
            </Radio.Group>
            {start.isError && Object.keys(fieldErrors).length === 0 && <ErrorAlert error={start.error} />}
            {start.isPending && (
              <Stack gap={4}>
                <Text size="sm">Uploading {file?.name}…</Text>
                <Progress value={uploaded * 100} aria-label="Upload progress" animated />
              </Stack>
            )}
            <Group>
              <Button
                onClick={() => start.mutate()}
                loading={start.isPending}
                disabled={!hasEmail || doubled.length > 0}
              >
                Start import
              </Button>
            </Group>
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
