import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Group,
  List,
  Modal,
  MultiSelect,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Switch,
  TagsInput,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiFailure, type Schemas, unwrap } from '../../api/client';
import { MailFrame } from '../../ui/MailFrame';
import { ErrorAlert, Loading } from '../../ui/states';
import { useLists } from '../lists/lists';
import {
  type Campaign,
  formatTime,
  preflightQuery,
  useCampaign,
  useSegments,
  useSenders,
  useTemplates,
} from './campaigns';
import { FailingChecks, failing, type PreflightCheck, PreflightChecklist } from './Preflight';

interface Values {
  name: string;
  listIds: string[];
  segmentId: string | null;
  excludeSegmentId: string | null;
  templateId: string | null;
  senderIds: string[];
  subject: string;
  preheader: string;
  trackOpens: boolean;
  trackClicks: boolean;
  when: 'now' | 'later';
  date: string;
  time: string;
  timeZone: string;
  testEmails: string[];
}

const STEPS = ['Audience', 'Template', 'Senders', 'Subject', 'Schedule', 'Test', 'Check and send'] as const;
/** The step whose fields an API error names, so a refusal is shown where it can be fixed. */
const STEP_OF_FIELD: Record<string, number> = {
  name: 0,
  listIds: 0,
  segmentId: 0,
  excludeSegmentId: 0,
  templateId: 1,
  senderIds: 2,
  subject: 3,
  preheader: 3,
  date: 4,
  time: 4,
  timeZone: 4,
  testEmails: 5,
};
/** Template warnings the server's checklist already reports in its own words. */
const CHECKED_BY_SERVER = new Set(['no_unsubscribe_link', 'html_too_large', 'no_postal_address']);

/** API field names (`audience.listIds`, `at`, `emails[0]`) as the form's. */
function formField(apiField: string): string {
  if (apiField === 'audience') return 'listIds';
  if (apiField.startsWith('audience.')) return apiField.slice('audience.'.length);
  if (apiField === 'at') return 'date';
  if (apiField.startsWith('emails')) return 'testEmails';
  return apiField;
}

export function CampaignWizardPage() {
  const { id } = useParams();
  if (id === undefined) return <CampaignWizard />;
  return <EditCampaign id={id} />;
}

function EditCampaign({ id }: { id: string }) {
  const campaign = useCampaign(id);
  if (campaign.isPending) return <Loading label="Loading campaign" />;
  if (campaign.isError) return <ErrorAlert error={campaign.error} />;
  return <CampaignWizard initial={campaign.data} />;
}

function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function CampaignWizard({ initial }: { initial?: Campaign }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const lists = useLists();
  const segments = useSegments();
  const templates = useTemplates();
  const senders = useSenders();
  const [campaignId, setCampaignId] = useState<string | undefined>(initial?.id);
  const [active, setActive] = useState(0);
  const [confirming, confirmModal] = useDisclosure(false);
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);

  const form = useForm<Values>({
    initialValues: {
      name: initial?.name ?? '',
      listIds: initial?.audience.listIds ?? [],
      segmentId: initial?.audience.segmentId ?? null,
      excludeSegmentId: initial?.audience.excludeSegmentId ?? null,
      templateId: initial?.templateId ?? null,
      senderIds: initial?.senderIds ?? [],
      subject: initial?.subject ?? '',
      preheader: initial?.preheader ?? '',
      trackOpens: initial?.trackOpens ?? true,
      trackClicks: initial?.trackClicks ?? true,
      when: initial?.sendAtLocal ? 'later' : 'now',
      date: initial?.sendAtLocal?.slice(0, 10) ?? '',
      time: initial?.sendAtLocal?.slice(11, 16) ?? '09:00',
      timeZone: initial?.timeZone ?? browserTimeZone(),
      testEmails: [],
    },
  });
  const values = form.getValues();

  const showApiErrors = (error: unknown) => {
    if (!(error instanceof ApiFailure)) return;
    const errors = Object.fromEntries(Object.entries(error.fields).map(([k, v]) => [formField(k), v]));
    form.setErrors(errors);
    const steps = Object.keys(errors).map((f) => STEP_OF_FIELD[f] ?? active);
    if (steps.length > 0) setActive(Math.min(...steps));
  };

  const save = useMutation({
    mutationFn: async (v: Values) => {
      const body = {
        name: v.name,
        audience: { listIds: v.listIds, segmentId: v.segmentId, excludeSegmentId: v.excludeSegmentId },
        templateId: v.templateId,
        subject: v.subject.trim() === '' ? null : v.subject,
        preheader: v.preheader.trim() === '' ? null : v.preheader,
        trackOpens: v.trackOpens,
        trackClicks: v.trackClicks,
        ...(v.senderIds.length > 0 ? { senderIds: v.senderIds } : {}),
      };
      if (campaignId === undefined) return unwrap(api.POST('/api/v1/campaigns', { body }));
      return unwrap(api.PATCH('/api/v1/campaigns/{id}', { params: { path: { id: campaignId } }, body }));
    },
    onSuccess: async (saved) => {
      setCampaignId(saved.id);
      // The API puts the sandbox sender in when none was chosen: the form shows what was saved.
      if (form.getValues().senderIds.length === 0) form.setFieldValue('senderIds', saved.senderIds);
      queryClient.setQueryData(['campaigns', saved.id], saved);
      await queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      await queryClient.invalidateQueries({ queryKey: ['campaigns', saved.id, 'preflight'] });
      setActive((step) => Math.min(step + 1, STEPS.length - 1));
    },
    onError: showApiErrors,
  });

  const preflight = useQuery({ ...preflightQuery(campaignId ?? ''), enabled: campaignId !== undefined });
  const preview = useQuery({
    queryKey: ['templates', values.templateId, 'preview'],
    queryFn: () =>
      unwrap(
        api.POST('/api/v1/templates/{id}/preview', {
          params: { path: { id: values.templateId as string } },
          body: {},
        }),
      ),
    enabled: values.templateId !== null,
  });

  const test = useMutation({
    mutationFn: (emails: string[]) =>
      unwrap(
        api.POST('/api/v1/campaigns/{id}/test', { params: { path: { id: campaignId as string } }, body: { emails } }),
      ),
    onError: showApiErrors,
  });

  const launch = useMutation({
    mutationFn: (v: Values) => {
      const path = { id: campaignId as string };
      if (v.when === 'now') return unwrap(api.POST('/api/v1/campaigns/{id}/send', { params: { path } }));
      return unwrap(
        api.POST('/api/v1/campaigns/{id}/schedule', {
          params: { path },
          body: { at: `${v.date}T${v.time}`, timeZone: v.timeZone },
        }),
      );
    },
    onSuccess: async (c) => {
      confirmModal.close();
      queryClient.setQueryData(['campaigns', c.id], c);
      await queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      void navigate(`/campaigns/${c.id}`);
    },
    onError: (error) => {
      confirmModal.close();
      showApiErrors(error);
    },
  });

  /** What each step needs before the next, checked here so the marketer is told at once and beside the field. */
  const checkStep = (step: number, v: Values): Record<string, string> => {
    const errors: Record<string, string> = {};
    if (step === 0) {
      if (v.name.trim() === '') errors.name = 'Give the campaign a name';
      if (v.listIds.length === 0 && v.segmentId === null) errors.listIds = 'Choose lists or a segment';
    }
    if (step === 1 && v.templateId === null) errors.templateId = 'Choose a template';
    if (step === 4 && v.when === 'later') {
      if (v.date === '') errors.date = 'Choose a date';
      if (v.time === '') errors.time = 'Choose a time';
    }
    return errors;
  };

  const next = () => {
    const v = form.getValues();
    const errors = checkStep(active, v);
    form.setErrors(errors);
    if (Object.keys(errors).length > 0) return;
    if (active <= 3) save.mutate(v);
    else setActive(active + 1);
  };

  const checklist = preflight.data && preview.data ? checklistItems(preflight.data, preview.data, values) : undefined;
  const failures = failing(checklist ?? []);
  const templateSummary = templates.data?.find((t) => t.id === values.templateId);
  const chosenSenders = (senders.data ?? []).filter((s) => values.senderIds.includes(s.id));
  const segmentOptions = (segments.data ?? []).map((s) => ({ value: s.id, label: s.name }));

  return (
    <Stack>
      <Anchor component={Link} to={campaignId ? `/campaigns/${campaignId}` : '/campaigns'} size="sm">
        ← {campaignId ? 'Campaign' : 'Campaigns'}
      </Anchor>
      <Title order={1}>{initial ? `Edit ${initial.name}` : 'New campaign'}</Title>
      <AudienceSummary preflight={preflight.data} saved={campaignId !== undefined} />
      <Stepper
        active={active}
        onStepClick={(step) => step < active && setActive(step)}
        size="sm"
        allowNextStepsSelect={false}
      >
        <Stepper.Step label="Audience">
          <Stack maw={640}>
            <TextInput label="Campaign name" required {...form.getInputProps('name')} />
            <MultiSelect
              label="Lists"
              description="Contacts on any of these lists"
              placeholder="Choose lists"
              searchable
              data={(lists.data ?? []).map((l) => ({
                value: l.id,
                label: `${l.name} (${l.memberCount.toLocaleString()})`,
              }))}
              {...form.getInputProps('listIds')}
            />
            <Select
              label="Segment"
              description="With lists: only their contacts in this segment; alone: the whole segment"
              placeholder="No segment"
              clearable
              searchable
              data={segmentOptions}
              {...form.getInputProps('segmentId')}
            />
            <Select
              label="Exclude segment"
              description="Contacts in this segment are left out"
              placeholder="Nobody is excluded"
              clearable
              searchable
              data={segmentOptions}
              {...form.getInputProps('excludeSegmentId')}
            />
            <Text size="sm" c="dimmed">
              Unsubscribed, bounced and suppressed contacts are never mailed; a contact on several lists gets one
              message. The count above is updated when you continue.
            </Text>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Template">
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Stack>
              <Select
                label="Template"
                placeholder="Choose a template"
                searchable
                required
                nothingFoundMessage="No template has that name"
                data={(templates.data ?? []).map((t) => ({
                  value: t.id,
                  label: t.starter ? `${t.name} (starter)` : t.name,
                }))}
                {...form.getInputProps('templateId')}
              />
              {templates.data?.length === 0 && (
                <Text size="sm">
                  No templates yet:{' '}
                  <Anchor component={Link} to="/templates">
                    create one
                  </Anchor>{' '}
                  first.
                </Text>
              )}
              {templateSummary && (
                <Text size="sm" c="dimmed">
                  Subject: {templateSummary.subject}
                </Text>
              )}
            </Stack>
            {preview.isError && <ErrorAlert error={preview.error} />}
            {preview.data && <MailFrame html={preview.data.html} title="Template preview" height={420} />}
          </SimpleGrid>
        </Stepper.Step>
        <Stepper.Step label="Senders">
          <Stack maw={640}>
            <MultiSelect
              label="Senders"
              description="They share the sending by what each may still send today; the first one signs the footer. None chosen: the sandbox inbox."
              placeholder="The sandbox inbox"
              data={(senders.data ?? []).map((s) => ({
                value: s.id,
                label: `${s.name} <${s.fromEmail}>${s.kind === 'sandbox' ? ' (sandbox)' : ''}`,
                disabled: s.disabledReason !== null,
              }))}
              {...form.getInputProps('senderIds')}
            />
            {chosenSenders
              .filter((s) => s.disabledReason !== null)
              .map((s) => (
                <Alert key={s.id} color="orange">
                  {s.name} is out of service: {s.disabledReason}
                </Alert>
              ))}
            <Text size="sm">
              <Anchor component={Link} to="/senders">
                Manage senders
              </Anchor>
            </Text>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Subject">
          <Stack maw={640}>
            <TextInput
              label="Subject"
              description="Leave empty to use the template's; {{first_name}} and other fields work here"
              placeholder={templateSummary?.subject}
              {...form.getInputProps('subject')}
            />
            <TextInput
              label="Preheader"
              description="The preview text inboxes show after the subject"
              placeholder={templateSummary?.preheader || 'None'}
              {...form.getInputProps('preheader')}
            />
            <Group>
              <Switch label="Track opens" {...form.getInputProps('trackOpens', { type: 'checkbox' })} />
              <Switch label="Track clicks" {...form.getInputProps('trackClicks', { type: 'checkbox' })} />
            </Group>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Schedule">
          <Stack maw={640}>
            <Radio.Group label="When" {...form.getInputProps('when')}>
              <Group mt="xs">
                <Radio value="now" label="Send now" />
                <Radio value="later" label="Schedule" />
              </Group>
            </Radio.Group>
            {values.when === 'later' && (
              <Group align="start" grow>
                <TextInput label="Date" type="date" required {...form.getInputProps('date')} />
                <TextInput label="Time" type="time" required {...form.getInputProps('time')} />
                <Select
                  label="Time zone"
                  searchable
                  data={zones}
                  allowDeselect={false}
                  {...form.getInputProps('timeZone')}
                />
              </Group>
            )}
            <Text size="sm" c="dimmed">
              Nothing is sent before the last step.
            </Text>
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Test">
          <Stack maw={640}>
            <TagsInput
              label="Test addresses"
              description="Up to 10; press Enter after each. Tests say [Test] in the subject and are not counted in the report."
              placeholder="you@example.com"
              maxTags={10}
              splitChars={[',', ' ', ';']}
              {...form.getInputProps('testEmails')}
            />
            <Group>
              <Button
                variant="default"
                disabled={values.testEmails.length === 0}
                loading={test.isPending}
                onClick={() => test.mutate(form.getValues().testEmails)}
              >
                Send test
              </Button>
            </Group>
            {test.isError && Object.keys((test.error as ApiFailure).fields ?? {}).length === 0 && (
              <ErrorAlert error={test.error} />
            )}
            {test.data && <TestOutcomes result={test.data} emails={values.testEmails} />}
          </Stack>
        </Stepper.Step>
        <Stepper.Step label="Check and send">
          <Checklist items={checklist} error={preflight.error ?? preview.error} values={values} />
        </Stepper.Step>
      </Stepper>
      {save.isError && Object.keys((save.error as ApiFailure).fields ?? {}).length === 0 && (
        <ErrorAlert error={save.error} />
      )}
      {launch.isError && <ErrorAlert error={launch.error} />}
      <Group justify="space-between">
        <Button variant="default" disabled={active === 0} onClick={() => setActive(active - 1)}>
          Back
        </Button>
        {active < STEPS.length - 1 ? (
          <Button onClick={next} loading={save.isPending}>
            {active <= 3 ? 'Save and continue' : 'Continue'}
          </Button>
        ) : (
          <Button color="green" onClick={confirmModal.open} disabled={preflight.data?.audience === 0}>
            {values.when === 'now' ? 'Send now' : 'Schedule campaign'}
          </Button>
        )}
      </Group>
      <Modal
        opened={confirming}
        onClose={confirmModal.close}
        title={values.when === 'now' ? 'Send this campaign now?' : 'Schedule this campaign?'}
      >
        <Stack>
          <Text>
            {values.when === 'now'
              ? `It goes to ${preflight.data?.audience === 1 ? 'its one contact' : `${preflight.data?.audience?.toLocaleString() ?? 'its'} contacts`} now.`
              : `It goes out on ${values.date} at ${values.time} (${values.timeZone}).`}{' '}
            You can pause or cancel it while it sends.
          </Text>
          {failures.length > 0 && (
            <Alert
              color="red"
              title={`${failures.length === 1 ? 'One check fails' : `${failures.length} checks fail`}`}
            >
              <FailingChecks checks={failures} />
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={confirmModal.close}>
              Not yet
            </Button>
            <Button
              color={failures.length > 0 ? 'red' : 'green'}
              loading={launch.isPending}
              onClick={() => launch.mutate(form.getValues())}
            >
              {failures.length > 0
                ? values.when === 'now'
                  ? 'Send anyway'
                  : 'Schedule anyway'
                : values.when === 'now'
                  ? 'Send now'
                  : 'Schedule campaign'}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}

function AudienceSummary({ preflight, saved }: { preflight?: Schemas['CampaignPreflightView']; saved: boolean }) {
  if (!saved) return null;
  return (
    <Card withBorder padding="sm" aria-live="polite">
      <Text size="sm">
        {preflight === undefined ? (
          'Counting the audience…'
        ) : preflight.audience === null ? (
          <>Audience not counted: {preflight.audienceError}</>
        ) : (
          <>
            <Text span fw={700}>
              {preflight.audience.toLocaleString()}
            </Text>{' '}
            {preflight.audience === 1 ? 'contact' : 'contacts'} can be mailed now
          </>
        )}
      </Text>
    </Card>
  );
}

function TestOutcomes({ result, emails }: { result: Schemas['TestSendView']; emails: string[] }) {
  return (
    <List spacing={4} size="sm" aria-label="Test results">
      {result.messageIds.map((id, i) => {
        const outcome = result.outcomes[id] ?? 'queued';
        return (
          <List.Item key={id}>
            {emails[i] ?? `Message ${id}`}:{' '}
            <Badge color={outcome === 'sent' ? 'green' : outcome === 'queued' ? 'blue' : 'red'} variant="light">
              {outcome}
            </Badge>
          </List.Item>
        );
      })}
    </List>
  );
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} minutes`;
  return `${(seconds / 3600).toFixed(1)} hours`;
}

/**
 * Every check before sending: the audience and the senders' capacity, read
 * here from the preflight figures; what the server checked of the message
 * and the senders' DNS; and the template's own warnings that no server
 * check covers.
 */
function checklistItems(
  preflight: Schemas['CampaignPreflightView'],
  preview: Schemas['TemplatePreviewDto'],
  values: Values,
): PreflightCheck[] {
  const items: PreflightCheck[] = [];
  const audience = preflight.audience;
  items.push(
    audience === null
      ? { id: 'audience', status: 'fail', title: 'Audience', detail: preflight.audienceError ?? 'Not counted' }
      : audience === 0
        ? { id: 'audience', status: 'fail', title: 'Audience', detail: 'No contact of this audience can be mailed.' }
        : {
            id: 'audience',
            status: 'pass',
            title: 'Audience',
            detail: `${audience.toLocaleString()} ${audience === 1 ? 'contact' : 'contacts'} can be mailed now.`,
          },
  );
  const seconds = audience !== null && preflight.ratePerSecond > 0 ? audience / preflight.ratePerSecond : null;
  const capacity =
    preflight.remainingToday === null
      ? 'The senders have no daily limit'
      : `The senders can send ${preflight.remainingToday.toLocaleString()} more today`;
  items.push({
    id: 'capacity',
    status: preflight.coversAudience ? 'pass' : 'warn',
    title: 'Capacity',
    detail: preflight.coversAudience
      ? `${capacity}; at ${preflight.ratePerSecond} per second the audience takes about ${duration(seconds ?? 0)}${
          values.when === 'now' && preflight.expectedFinishAt
            ? ` and is done around ${formatTime(preflight.expectedFinishAt)}`
            : ''
        }.`
      : `${capacity}: the rest waits for tomorrow's quota, and the campaign shows when it resumes.`,
  });
  items.push(...preflight.checks);
  for (const w of preview.warnings.filter((w) => !CHECKED_BY_SERVER.has(w.code))) {
    items.push({ id: `template.${w.code}`, status: 'warn', title: 'Template', detail: w.message });
  }
  return items;
}

function Checklist({ items, error, values }: { items?: PreflightCheck[]; error: unknown; values: Values }) {
  if (error) return <ErrorAlert error={error} />;
  if (items === undefined) return <Loading label="Checking the campaign" />;
  return (
    <Stack maw={760}>
      <Title order={2} size="h4">
        Before it goes out
      </Title>
      <PreflightChecklist checks={items} />
      <Text size="sm" c="dimmed">
        {values.when === 'now'
          ? 'Sends as soon as you confirm.'
          : `Goes out on ${values.date} at ${values.time}, ${values.timeZone} time.`}
      </Text>
    </Stack>
  );
}
