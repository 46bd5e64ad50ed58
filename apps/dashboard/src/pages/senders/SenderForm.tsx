import {
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert } from '../../ui/states';

type Sender = Schemas['SenderView'];
type DkimMode = 'off' | 'keep' | 'generate' | 'upload';

interface Values {
  name: string;
  host: string;
  port: number | string;
  security: Sender['security'];
  username: string;
  password: string;
  removePassword: boolean;
  fromEmail: string;
  fromName: string;
  replyTo: string;
  postalAddress: string;
  ratePerSecond: number | string;
  dailyLimit: number | string;
  timeZone: string;
  poolSize: number | string;
  dkimMode: DkimMode;
  dkimDomain: string;
  dkimSelector: string;
  dkimPrivateKey: string;
}

const valuesOf = (s?: Sender): Values => ({
  name: s?.name ?? '',
  host: s?.host ?? '',
  port: s?.port ?? 587,
  security: s?.security ?? 'starttls',
  username: s?.username ?? '',
  // Secrets are never read back: the field starts empty and stays empty unless a new one is typed.
  password: '',
  removePassword: false,
  fromEmail: s?.fromEmail ?? '',
  fromName: s?.fromName ?? '',
  replyTo: s?.replyTo ?? '',
  postalAddress: s?.postalAddress ?? '',
  ratePerSecond: s?.ratePerSecond ?? 10,
  dailyLimit: s?.dailyLimit ?? '',
  timeZone: s?.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'),
  poolSize: s?.poolSize ?? 2,
  dkimMode: s?.hasDkimKey ? 'keep' : 'off',
  dkimDomain: s?.dkimDomain ?? '',
  dkimSelector: s?.dkimSelector ?? 'herald',
  dkimPrivateKey: '',
});

const orNull = (v: string) => (v.trim() === '' ? null : v.trim());

/** Adds or edits a sender. The password and DKIM key are write-only: typed here, never shown again. */
export function SenderForm({
  sender,
  opened,
  onClose,
  onSaved,
}: {
  sender?: Sender;
  opened: boolean;
  onClose: () => void;
  onSaved?: (sender: Sender) => void;
}) {
  const queryClient = useQueryClient();
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  const form = useForm<Values>({ initialValues: valuesOf(sender) });
  const sandbox = sender?.kind === 'sandbox';
  const v = form.getValues();

  const save = useMutation({
    mutationFn: (v: Values) => {
      const dkim =
        v.dkimMode === 'off'
          ? { dkimDomain: null, dkimSelector: null }
          : {
              dkimDomain: orNull(v.dkimDomain),
              dkimSelector: orNull(v.dkimSelector),
              ...(v.dkimMode === 'generate' ? { dkimGenerate: true } : {}),
              ...(v.dkimMode === 'upload' ? { dkimPrivateKey: v.dkimPrivateKey } : {}),
            };
      const connection = sandbox
        ? {}
        : {
            host: v.host.trim(),
            port: Number(v.port),
            security: v.security,
            username: orNull(v.username),
            ...(v.password !== '' ? { password: v.password } : v.removePassword ? { password: null } : {}),
          };
      const body = {
        name: v.name,
        fromEmail: v.fromEmail.trim(),
        fromName: orNull(v.fromName),
        replyTo: orNull(v.replyTo),
        postalAddress: v.postalAddress,
        ratePerSecond: Number(v.ratePerSecond),
        dailyLimit: v.dailyLimit === '' ? null : Number(v.dailyLimit),
        timeZone: v.timeZone,
        poolSize: Number(v.poolSize),
        ...connection,
        ...dkim,
      };
      if (sender === undefined) {
        return unwrap(
          api.POST('/api/v1/senders', {
            body: { ...body, host: v.host.trim(), port: Number(v.port) },
          }),
        );
      }
      return unwrap(api.PATCH('/api/v1/senders/{id}', { params: { path: { id: sender.id } }, body }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['senders'] });
      form.setValues(valuesOf(saved));
      form.resetDirty();
      onClose();
      onSaved?.(saved);
    },
    onError: (error) => {
      if (error instanceof ApiFailure) form.setErrors(error.fields);
    },
  });

  return (
    <Modal opened={opened} onClose={onClose} title={sender ? `Edit ${sender.name}` : 'Add a sender'} size="xl">
      <form onSubmit={form.onSubmit((values) => save.mutate(values))}>
        <Stack>
          {save.isError && Object.keys((save.error as ApiFailure).fields ?? {}).length === 0 && (
            <ErrorAlert error={save.error} />
          )}
          <TextInput
            label="Name"
            description="For you; recipients do not see it"
            required
            {...form.getInputProps('name')}
          />
          {sandbox ? (
            <Text size="sm" c="dimmed">
              The sandbox sender delivers into Herald's own inbox; its connection is set by Herald.
            </Text>
          ) : (
            <>
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <TextInput label="SMTP host" required {...form.getInputProps('host')} />
                <NumberInput label="Port" required min={1} max={65535} {...form.getInputProps('port')} />
                <Select
                  label="Security"
                  allowDeselect={false}
                  data={[
                    { value: 'starttls', label: 'STARTTLS (port 587)' },
                    { value: 'tls', label: 'TLS from the start (port 465)' },
                    { value: 'none', label: 'None (plain text)' },
                  ]}
                  {...form.getInputProps('security')}
                />
              </SimpleGrid>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="Username" autoComplete="off" {...form.getInputProps('username')} />
                <Stack gap={4}>
                  <PasswordInput
                    label="Password"
                    autoComplete="new-password"
                    description={
                      sender?.hasPassword
                        ? 'A password is stored. Type a new one to replace it.'
                        : 'Stored encrypted; never shown again.'
                    }
                    disabled={v.removePassword}
                    {...form.getInputProps('password')}
                  />
                  {sender?.hasPassword && (
                    <Checkbox
                      label="Remove the stored password"
                      {...form.getInputProps('removePassword', { type: 'checkbox' })}
                    />
                  )}
                </Stack>
              </SimpleGrid>
            </>
          )}
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label="From address" type="email" required {...form.getInputProps('fromEmail')} />
            <TextInput label="From name" {...form.getInputProps('fromName')} />
            <TextInput label="Reply-To" type="email" {...form.getInputProps('replyTo')} />
          </SimpleGrid>
          <Textarea
            label="Postal address"
            description="Shown in the footer of every message, as anti-spam law requires"
            required
            autosize
            minRows={2}
            {...form.getInputProps('postalAddress')}
          />
          <SimpleGrid cols={{ base: 2, sm: 4 }}>
            <NumberInput
              label="Messages per second"
              min={0.001}
              max={1000}
              decimalScale={3}
              required
              {...form.getInputProps('ratePerSecond')}
            />
            <NumberInput
              label="Daily limit"
              description="Empty: no limit"
              min={1}
              allowDecimal={false}
              {...form.getInputProps('dailyLimit')}
            />
            <Select
              label="Time zone of the day"
              searchable
              allowDeselect={false}
              data={zones}
              {...form.getInputProps('timeZone')}
            />
            <NumberInput
              label="Connections"
              min={1}
              max={50}
              allowDecimal={false}
              {...form.getInputProps('poolSize')}
            />
          </SimpleGrid>
          <Stack gap={6}>
            <Text size="sm" fw={500} id="dkim-label">
              DKIM signing
            </Text>
            <SegmentedControl
              aria-labelledby="dkim-label"
              data={[
                { value: 'off', label: 'Off' },
                ...(sender?.hasDkimKey ? [{ value: 'keep', label: 'Keep the key' }] : []),
                { value: 'generate', label: sender?.hasDkimKey ? 'Generate a new key' : 'Generate a key' },
                { value: 'upload', label: 'Upload a key' },
              ]}
              {...form.getInputProps('dkimMode')}
            />
            {v.dkimMode !== 'off' && (
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label="DKIM domain" placeholder="example.com" {...form.getInputProps('dkimDomain')} />
                <TextInput label="DKIM selector" {...form.getInputProps('dkimSelector')} />
              </SimpleGrid>
            )}
            {v.dkimMode === 'upload' && (
              <Textarea
                label="DKIM private key (PEM)"
                description="Stored encrypted; never shown again"
                placeholder="-----BEGIN PRIVATE KEY-----"
                autosize
                minRows={4}
                styles={{ input: { fontFamily: 'monospace' } }}
                {...form.getInputProps('dkimPrivateKey')}
              />
            )}
          </Stack>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {sender ? 'Save sender' : 'Add sender'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
