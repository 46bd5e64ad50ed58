import { Alert, Anchor, Button, Card, Group, Modal, Progress, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type Schemas, unwrap } from '../../api/client';
import { ErrorAlert, Loading } from '../../ui/states';
import { type Campaign, formatTime, preflightQuery, useCampaign, useSenders, useTemplates } from './campaigns';
import { FailingChecks, failing, type PreflightCheck, PreflightChecklist } from './Preflight';
import { StateBadge } from './StateBadge';

type Action = 'pause' | 'resume' | 'cancel' | 'confirm' | 'send';
const ACTION_LABELS: Record<Action, string> = {
  send: 'Send now',
  confirm: 'Send now (confirm)',
  pause: 'Pause',
  resume: 'Resume',
  cancel: 'Cancel campaign',
};
/** States in which the figures move: the report is read again every two seconds. */
const LIVE = new Set<Campaign['state']>(['sending', 'scheduled', 'needs_confirmation']);
/** States before the first message: the pre-send checklist still matters. */
const BEFORE_SENDING = new Set<Campaign['state']>(['draft', 'scheduled', 'needs_confirmation']);

export function CampaignPage() {
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const campaign = useCampaign(id);
  const [cancelling, cancelModal] = useDisclosure(false);
  const [deleting, deleteModal] = useDisclosure(false);
  /** A send asked for while checks fail, waiting for the marketer to confirm it, with those checks. */
  const [unsafeSend, setUnsafeSend] = useState<{ action: Action; failures: PreflightCheck[] } | null>(null);
  const live = campaign.data !== undefined && LIVE.has(campaign.data.state);
  const report = useQuery({
    queryKey: ['campaigns', id, 'report'],
    queryFn: () => unwrap(api.GET('/api/v1/campaigns/{id}/report', { params: { path: { id } } })),
    enabled: campaign.data !== undefined && campaign.data.state !== 'draft',
    refetchInterval: live ? 2000 : false,
  });
  // The report carries the state: when it moves on, the campaign (and the actions it allows) is read again.
  const reportState = report.data?.state;
  if (reportState !== undefined && campaign.data !== undefined && reportState !== campaign.data.state) {
    void queryClient.invalidateQueries({ queryKey: ['campaigns', id], exact: true });
  }

  const beforeSending = campaign.data !== undefined && BEFORE_SENDING.has(campaign.data.state);
  const preflight = useQuery({ ...preflightQuery(id), enabled: beforeSending });

  const act = useMutation({
    mutationFn: (action: Action) => {
      const params = { params: { path: { id } } };
      switch (action) {
        case 'send':
          return unwrap(api.POST('/api/v1/campaigns/{id}/send', params));
        case 'confirm':
          return unwrap(api.POST('/api/v1/campaigns/{id}/confirm', params));
        case 'pause':
          return unwrap(api.POST('/api/v1/campaigns/{id}/pause', params));
        case 'resume':
          return unwrap(api.POST('/api/v1/campaigns/{id}/resume', params));
        case 'cancel':
          return unwrap(api.POST('/api/v1/campaigns/{id}/cancel', params));
      }
    },
    onSuccess: async (c) => {
      cancelModal.close();
      setUnsafeSend(null);
      queryClient.setQueryData(['campaigns', id], c);
      await queryClient.invalidateQueries({ queryKey: ['campaigns', id, 'report'] });
      await queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
    },
    onError: async () => {
      cancelModal.close();
      setUnsafeSend(null);
      // A 409 means the campaign moved on meanwhile: show its current state beside the refusal.
      await queryClient.invalidateQueries({ queryKey: ['campaigns', id] });
    },
  });
  /** Sending goes ahead at once when every check passes; failing checks are listed for a confirmation first. */
  const requestSend = async (action: 'send' | 'confirm') => {
    // Unreadable checks do not hold the send back: the server still refuses what it cannot send.
    const checks = await queryClient.ensureQueryData(preflightQuery(id)).then(
      (p) => p.checks,
      () => [],
    );
    const failures = failing(checks);
    if (failures.length > 0) setUnsafeSend({ action, failures });
    else act.mutate(action);
  };
  const duplicate = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/campaigns/{id}/duplicate', { params: { path: { id } } })),
    onSuccess: async (copy) => {
      await queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      void navigate(`/campaigns/${copy.id}`);
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/api/v1/campaigns/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['campaigns', id] });
      await queryClient.invalidateQueries({ queryKey: ['campaigns', 'list'] });
      void navigate('/campaigns');
    },
    onError: deleteModal.close,
  });

  if (campaign.isPending) return <Loading label="Loading campaign" />;
  if (campaign.isError) return <ErrorAlert error={campaign.error} />;
  const c = campaign.data;
  const can = (action: Campaign['actions'][number]) => c.actions.includes(action);
  const failure = act.error ?? duplicate.error ?? remove.error;

  return (
    <Stack>
      <Anchor component={Link} to="/campaigns" size="sm">
        ← Campaigns
      </Anchor>
      <Group justify="space-between" align="start">
        <Stack gap={4}>
          <Title order={1}>{c.name}</Title>
          <Group gap="xs">
            <StateBadge state={c.state} size="lg" />
            {c.state === 'scheduled' && (
              <Text size="sm">
                for {c.sendAtLocal?.replace('T', ' ')} ({c.timeZone}), {formatTime(c.sendAt)} here
              </Text>
            )}
          </Group>
        </Stack>
        <Group gap="xs">
          {can('edit') && (
            <Button variant="default" component={Link} to={`/campaigns/${c.id}/edit`}>
              Edit
            </Button>
          )}
          {(['send', 'confirm', 'pause', 'resume'] as const)
            .filter((a) => can(a) && !(a === 'send' && c.state === 'draft'))
            .map((a) => (
              <Button
                key={a}
                variant={a === 'pause' ? 'default' : 'filled'}
                loading={act.isPending && act.variables === a}
                onClick={() => (a === 'send' || a === 'confirm' ? void requestSend(a) : act.mutate(a))}
              >
                {ACTION_LABELS[a]}
              </Button>
            ))}
          {can('cancel') && (
            <Button color="red" variant="light" onClick={cancelModal.open}>
              Cancel campaign
            </Button>
          )}
          {can('duplicate') && (
            <Button variant="default" loading={duplicate.isPending} onClick={() => duplicate.mutate()}>
              Duplicate
            </Button>
          )}
          {can('delete') && (
            <Button color="red" variant="subtle" onClick={deleteModal.open}>
              Delete
            </Button>
          )}
        </Group>
      </Group>
      {failure && <ErrorAlert error={failure} />}
      {c.stateReason && (
        <Alert color={c.state === 'failed' ? 'red' : 'yellow'} title="Why">
          {c.stateReason}
        </Alert>
      )}
      {c.state === 'draft' ? (
        <DraftSummary campaign={c} />
      ) : report.isError ? (
        <ErrorAlert error={report.error} />
      ) : report.data === undefined ? (
        <Loading label="Loading progress" />
      ) : (
        <Progressing report={report.data} campaign={c} />
      )}
      {beforeSending && (
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Before it goes out
          </Title>
          {preflight.isError ? (
            <ErrorAlert error={preflight.error} />
          ) : preflight.data === undefined ? (
            <Loading label="Checking the campaign" />
          ) : (
            <PreflightChecklist checks={preflight.data.checks} />
          )}
        </Card>
      )}
      <Modal opened={unsafeSend !== null} onClose={() => setUnsafeSend(null)} title="Send with failing checks?">
        <Stack>
          <Text>
            {unsafeSend?.failures.length === 1 ? 'This check fails' : 'These checks fail'}: mail sent like this may be
            refused, filtered as spam or break the law. Fix {unsafeSend?.failures.length === 1 ? 'it' : 'them'} first
            unless you are sure.
          </Text>
          <FailingChecks checks={unsafeSend?.failures ?? []} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setUnsafeSend(null)}>
              Not yet
            </Button>
            <Button color="red" loading={act.isPending} onClick={() => unsafeSend && act.mutate(unsafeSend.action)}>
              Send anyway
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={cancelling} onClose={cancelModal.close} title="Cancel this campaign?">
        <Stack>
          <Text>Nothing more is sent, and it cannot be resumed. What was sent stays in the report.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={cancelModal.close}>
              Keep it
            </Button>
            <Button color="red" loading={act.isPending} onClick={() => act.mutate('cancel')}>
              Cancel campaign
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={deleting} onClose={deleteModal.close} title="Delete this campaign?">
        <Stack>
          <Text>The campaign and its report are removed for good.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={deleteModal.close}>
              Keep it
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

function DraftSummary({ campaign }: { campaign: Campaign }) {
  const templates = useTemplates();
  const senders = useSenders();
  const template = templates.data?.find((t) => t.id === campaign.templateId);
  const names = (senders.data ?? []).filter((s) => campaign.senderIds.includes(s.id)).map((s) => s.name);
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Text>
          <Text span fw={600}>
            Template:
          </Text>{' '}
          {template?.name ?? 'none yet'}
        </Text>
        <Text>
          <Text span fw={600}>
            Subject:
          </Text>{' '}
          {campaign.subject ?? template?.subject ?? '—'}
        </Text>
        <Text>
          <Text span fw={600}>
            Senders:
          </Text>{' '}
          {names.join(', ') || '—'}
        </Text>
        <Group>
          <Button component={Link} to={`/campaigns/${campaign.id}/edit`}>
            Continue to check and send
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700} aria-label={label}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Card>
  );
}

function Progressing({ report: r, campaign }: { report: Schemas['CampaignReportView']; campaign: Campaign }) {
  const done = r.sent + r.failed + r.bounced + r.uncertain + r.skipped;
  const total = r.audience ?? done + r.queued + r.sending + r.deferred;
  const share = total > 0 ? (done / total) * 100 : 0;
  const n = (v: number) => v.toLocaleString();
  return (
    <Stack>
      {r.waitingForQuotaUntil && (
        <Alert color="yellow" title="Waiting for quota">
          Every sender has used today's limit; sending resumes at {formatTime(r.waitingForQuotaUntil)}.
        </Alert>
      )}
      <Stack gap={4}>
        <Group justify="space-between">
          <Text size="sm">
            {n(done)} of {r.audience === null ? '…' : n(r.audience)} done
          </Text>
          {r.state === 'sending' && <Text size="sm">{r.ratePerSecond} per second</Text>}
        </Group>
        <Progress value={share} size="lg" aria-label="Progress" animated={r.state === 'sending'} />
      </Stack>
      <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
        <Figure label="Sent" value={n(r.sent)} />
        <Figure label="Queued" value={n(r.queued + r.sending)} />
        <Figure label="Deferred" value={n(r.deferred)} hint="Retried with backoff" />
        <Figure label="Failed" value={n(r.failed + r.bounced)} hint={`${n(r.bounced)} refused permanently`} />
        <Figure
          label="Waiting for quota"
          value={r.waitingForQuotaUntil ? n(r.queued + r.deferred) : '0'}
          hint={r.waitingForQuotaUntil ? `until ${formatTime(r.waitingForQuotaUntil)}` : undefined}
        />
        <Figure
          label="Expected finish"
          value={
            r.state === 'sent' ? 'Done' : r.expectedFinishAt ? new Date(r.expectedFinishAt).toLocaleTimeString() : '—'
          }
          hint={r.state === 'sent' ? formatTime(r.finishedAt) : undefined}
        />
      </SimpleGrid>
      {r.skipped > 0 && (
        <Text size="sm" c="dimmed">
          {n(r.skipped)} not sent: suppressed or erased by the time of sending, or cancelled.
        </Text>
      )}
      {campaign.startedAt && (
        <Group>
          <Button variant="light" component={Link} to={`/campaigns/${campaign.id}/report`}>
            Open report
          </Button>
        </Group>
      )}
    </Stack>
  );
}
