import {
  Alert,
  Button,
  Card,
  CopyButton,
  Group,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { useSenders } from '../campaigns/campaigns';

interface FormValues {
  enabled: boolean;
  doubleOptIn: boolean;
  senderId: string | null;
  successUrl: string;
  confirmedUrl: string;
  consentText: string;
  consentVersion: string;
}

const formKey = (listId: string) => ['lists', listId, 'form'];

/** A list's sign-up form: its settings, and the HTML to paste into a web page (shown as text, never rendered). */
export function SignupForm({ listId }: { listId: string }) {
  const settings = useQuery({
    queryKey: formKey(listId),
    queryFn: () => unwrap(api.GET('/api/v1/lists/{id}/form', { params: { path: { id: listId } } })),
  });
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h3">
          Sign-up form
        </Title>
        {settings.isError && <ErrorAlert error={settings.error} />}
        {settings.isPending ? (
          <Loading label="Loading the sign-up form" />
        ) : (
          settings.data && <SettingsEditor key={listId} settings={settings.data} />
        )}
      </Stack>
    </Card>
  );
}

const valuesOf = (settings: Schemas['FormSettingsView']): FormValues => ({
  enabled: settings.enabled,
  doubleOptIn: settings.doubleOptIn,
  senderId: settings.senderId,
  successUrl: settings.successUrl ?? '',
  confirmedUrl: settings.confirmedUrl ?? '',
  consentText: settings.consentText,
  consentVersion: settings.consentVersion,
});

function SettingsEditor({ settings }: { settings: Schemas['FormSettingsView'] }) {
  const queryClient = useQueryClient();
  const senders = useSenders();
  const form = useForm<FormValues>({ initialValues: valuesOf(settings) });
  const save = useMutation({
    mutationFn: (v: FormValues) =>
      unwrap(
        api.PUT('/api/v1/lists/{id}/form', {
          params: { path: { id: settings.listId } },
          body: {
            enabled: v.enabled,
            doubleOptIn: v.doubleOptIn,
            senderId: v.senderId,
            // An empty field means Herald's own page.
            successUrl: v.successUrl.trim() || null,
            confirmedUrl: v.confirmedUrl.trim() || null,
            consentText: v.consentText,
            consentVersion: v.consentVersion,
          },
        }),
      ),
    onSuccess: (saved) => {
      queryClient.setQueryData(formKey(settings.listId), saved);
      form.setInitialValues(valuesOf(saved));
      form.resetDirty(valuesOf(saved));
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });
  return (
    <Stack>
      <form onSubmit={form.onSubmit((v) => save.mutate(v))}>
        <Stack>
          {save.isError && !(save.error instanceof ApiFailure && Object.keys(save.error.fields).length > 0) && (
            <ErrorAlert error={save.error} />
          )}
          <Switch
            label="Take sign-ups"
            description="When off, the form's posts are refused"
            {...form.getInputProps('enabled', { type: 'checkbox' })}
          />
          <Switch
            label="Double opt-in"
            description="New subscribers confirm by email before they are added to the list"
            {...form.getInputProps('doubleOptIn', { type: 'checkbox' })}
          />
          <Select
            label="Sender of confirmation mails"
            description="Required to take sign-ups"
            placeholder={senders.isPending ? 'Loading senders' : 'Choose a sender'}
            clearable
            w={{ base: '100%', sm: 360 }}
            data={(senders.data ?? []).map((s) => ({ value: s.id, label: `${s.name} <${s.fromEmail}>` }))}
            {...form.getInputProps('senderId')}
          />
          <TextInput
            label="After signing up, go to"
            description="An https address on your site; empty: Herald's own thank-you page"
            placeholder="https://www.example.com/thanks"
            maxLength={2000}
            {...form.getInputProps('successUrl')}
          />
          <TextInput
            label="After confirming, go to"
            description="An https address on your site; empty: Herald's own page"
            placeholder="https://www.example.com/welcome"
            maxLength={2000}
            {...form.getInputProps('confirmedUrl')}
          />
          <Textarea
            label="Consent wording"
            description="Shown beside a checkbox the subscriber must tick; stored with every sign-up. Empty: no checkbox."
            autosize
            minRows={2}
            maxLength={2000}
            {...form.getInputProps('consentText')}
          />
          <TextInput
            label="Wording version"
            description="Change it when the wording changes, so each consent record says which one was agreed to"
            w={{ base: '100%', sm: 240 }}
            maxLength={50}
            {...form.getInputProps('consentVersion')}
          />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save form
            </Button>
            {save.isSuccess && !form.isDirty() && (
              <Text c="green" size="sm" role="status">
                Saved.
              </Text>
            )}
          </Group>
        </Stack>
      </form>
      <Snippet settings={settings} />
    </Stack>
  );
}

function Snippet({ settings }: { settings: Schemas['FormSettingsView'] }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        Embed on your site
      </Title>
      {!settings.enabled && (
        <Alert color="yellow" role="status">
          The form is off: a visitor who posts it gets a “not found” page until you switch on “Take sign-ups”.
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        Paste this HTML into a page. It posts to {settings.actionUrl} and needs no script.
      </Text>
      <Textarea
        label="HTML snippet"
        readOnly
        autosize
        minRows={6}
        maxRows={20}
        value={settings.snippet}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
      />
      <Group>
        <CopyButton value={settings.snippet}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy HTML'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}
