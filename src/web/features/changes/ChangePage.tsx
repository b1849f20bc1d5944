import { useState } from 'react';
import {
  Alert, Anchor, Badge, Button, Grid, Group, List, Modal, NativeSelect, Paper, Skeleton, Stack, Table, Text, Textarea, TextInput, Timeline, Title, Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { IconAlertTriangle, IconArrowRight, IconChevronLeft, IconPencil, IconRefresh } from '@tabler/icons-react';
import { errorMessage, isApiError } from '../../api/client';
import { changesApi } from '../../api/endpoints';
import type { Change, ChangeNextStates, ChangeStateName, CloseCode } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { FormProblem } from '../../components/FormProblem';
import { PermissionButton } from '../../components/PermissionButton';
import { hasPermission, useCurrentUser } from '../auth/session';
import { ApprovalsPanel } from './ApprovalsPanel';
import { EditChangeModal } from './EditChangeModal';
import { PolicyPanel, RiskOverrideButton } from './PolicyPanel';
import {
  CHANGE_STATE_LABELS, changeKeys, ChangeStateBadge, ChangeTypeBadge, CLOSE_CODE_LABELS, CONFLICT_LABELS, FACTOR_LABELS, formatChangeWindow, formatMoment,
  localInputToIso, RISK_LABELS, RiskBadge, toLocalInput, ZoneNote,
} from './model';

export function ChangePage() {
  const { number } = useParams({ from: '/authed/changes/$number' });
  const change = useQuery({ queryKey: changeKeys.detail(number), queryFn: ({ signal }) => changesApi.get(number, signal) });

  if (change.isPending) {
    return (
      <Stack gap="sm" aria-busy="true" aria-label="Loading the change">
        <Skeleton h={32} w={420} />
        <Skeleton h={120} />
        <Skeleton h={240} />
      </Stack>
    );
  }
  if (change.isError) {
    return (
      <ErrorState
        error={change.error}
        title={isApiError(change.error, 404) ? `There is no change ${number}` : 'Could not load the change'}
        onRetry={isApiError(change.error, 404) ? undefined : () => void change.refetch()}
      />
    );
  }
  return <ChangeView change={change.data} />;
}

function ChangeView({ change: c }: { change: Change }) {
  return (
    <Stack gap="md">
      <Anchor component={Link} to="/changes" size="sm">
        <Group gap={4}>
          <IconChevronLeft size={14} aria-hidden /> Changes
        </Group>
      </Anchor>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Group gap="xs">
            <Text className="sg-mono" c="dimmed" data-testid="change-number">
              {c.number}
            </Text>
            <ChangeStateBadge state={c.state.name} />
            <ChangeTypeBadge type={c.type} />
            <RiskBadge level={c.risk.effectiveLevel} />
          </Group>
          <Title order={2}>{c.title}</Title>
          <Text size="sm" c="dimmed">
            Requested by {c.requestedBy?.name ?? '—'} · team {c.assignmentTeam?.name ?? 'not assigned'} · planned{' '}
            {formatChangeWindow(c.plannedStart, c.plannedEnd)}
          </Text>
        </Stack>
        <EditChangeButton change={c} />
      </Group>
      <NextStates change={c} />
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Stack gap="md">
            <RiskPanel change={c} />
            <PolicyPanel change={c} />
            <ConflictsPanel change={c} />
            <ApprovalsPanel number={c.number} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="md">
            <DetailsPanel change={c} />
            <HistoryPanel number={c.number} />
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

function EditChangeButton({ change: c }: { change: Change }) {
  const [open, setOpen] = useState(false);
  if (c.state.name === 'closed' || c.state.name === 'canceled') return null;
  return (
    <>
      <PermissionButton permission="change:update" variant="default" leftSection={<IconPencil size={16} aria-hidden />} onClick={() => setOpen(true)} data-testid="change-edit-open">
        Edit
      </PermissionButton>
      <EditChangeModal change={c} opened={open} onClose={() => setOpen(false)} />
    </>
  );
}

function NextStates({ change: c }: { change: Change }) {
  const me = useCurrentUser();
  const canMove = hasPermission(me, 'change:transition');
  const next = useQuery({
    queryKey: changeKeys.nextStates(c.number),
    queryFn: ({ signal }) => changesApi.nextStates(c.number, signal),
  });
  const [target, setTarget] = useState<ChangeNextStates['next'][number] | null>(null);
  const forward = (next.data?.next ?? []).filter((n) => n.name !== 'canceled');
  const cancel = (next.data?.next ?? []).find((n) => n.name === 'canceled');
  return (
    <Paper withBorder p="sm" radius="md" data-testid="next-states">
      <Group gap="sm" align="center">
        <Text size="sm" fw={500}>
          Move to
        </Text>
        {next.isPending ? <Skeleton h={30} w={200} /> : null}
        {next.isError ? <Text size="sm" c="red.8">{errorMessage(next.error)}</Text> : null}
        {next.data && next.data.next.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing: {CHANGE_STATE_LABELS[c.state.name]} is final.
          </Text>
        ) : null}
        {[...forward, ...(cancel ? [cancel] : [])].map((n) => {
          const label = n.name === 'canceled' ? 'Cancel change' : CHANGE_STATE_LABELS[n.name];
          const needsInput = n.name === 'review';
          const blocked = !n.ready && !needsInput;
          const reason = !canMove
            ? 'You need the "change:transition" permission for this.'
            : blocked
              ? `Still missing: ${n.missing.map((m) => m.message).join('; ')}`
              : null;
          return (
            <Tooltip key={n.name} label={reason} disabled={!reason} multiline w={320}>
              <Button
                size="xs"
                variant={n.name === 'canceled' ? 'subtle' : 'filled'}
                color={n.name === 'canceled' ? 'red' : undefined}
                rightSection={n.name === 'canceled' ? undefined : <IconArrowRight size={14} />}
                data-testid={`move-${n.name}`}
                {...(reason
                  ? { 'data-disabled': true, 'aria-disabled': true, onClick: (e: React.MouseEvent) => e.preventDefault() }
                  : { onClick: () => setTarget(n) })}
              >
                {label}
              </Button>
            </Tooltip>
          );
        })}
      </Group>
      {forward.some((n) => !n.ready && n.missing.length && n.name !== 'review') ? (
        <Stack gap={2} mt="xs" data-testid="missing">
          {forward
            .filter((n) => !n.ready && n.name !== 'review')
            .map((n) => (
              <Text key={n.name} size="xs" c="dimmed">
                {CHANGE_STATE_LABELS[n.name]} needs: {n.missing.map((m) => m.message).join('; ')}
              </Text>
            ))}
        </Stack>
      ) : null}
      <TransitionDialog change={c} target={target} onClose={() => setTarget(null)} />
    </Paper>
  );
}

function TransitionDialog({
  change: c, target, onClose,
}: { change: Change; target: ChangeNextStates['next'][number] | null; onClose: () => void }) {
  return (
    <Modal
      opened={target !== null}
      onClose={onClose}
      title={<Text fw={600}>{target ? `Move ${c.number} to ${CHANGE_STATE_LABELS[target.name]}` : ''}</Text>}
    >
      {target ? <TransitionForm key={target.name} change={c} to={target.name} onDone={onClose} /> : null}
    </Modal>
  );
}

function TransitionForm({ change: c, to, onDone }: { change: Change; to: ChangeStateName; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [comment, setComment] = useState('');
  const [actualStart, setActualStart] = useState(toLocalInput(c.actualStart ?? c.plannedStart));
  const [actualEnd, setActualEnd] = useState(toLocalInput(c.actualEnd));
  const [closeCode, setCloseCode] = useState<CloseCode | ''>(c.closeCode ?? '');
  const [closeNotes, setCloseNotes] = useState('');
  const review = to === 'review';
  const move = useMutation({
    mutationFn: () =>
      changesApi.transition(c.number, {
        to,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
        ...(review
          ? {
              actualStart: localInputToIso(actualStart),
              actualEnd: localInputToIso(actualEnd),
              ...(closeCode ? { closeCode } : {}),
              ...(closeNotes.trim() ? { closeNotes: closeNotes.trim() } : {}),
            }
          : {}),
      }),
    onSuccess: (updated) => {
      queryClient.setQueryData(changeKeys.detail(c.number), updated);
      void queryClient.invalidateQueries({ queryKey: changeKeys.detail(c.number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.list({}).slice(0, 2) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.inbox });
      notifications.show({ color: 'green', title: `${c.number} is in ${CHANGE_STATE_LABELS[updated.state.name]}`, message: c.title });
      onDone();
    },
  });
  const fieldError = (path: string) =>
    isApiError(move.error) ? move.error.fieldErrors.find((e) => e.path === path)?.message : undefined;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        move.mutate();
      }}
      noValidate
    >
      <Stack gap="sm">
        <FormProblem error={move.error} title="The change did not move" />
        {to === 'canceled' ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />}>
            Canceling is final: a canceled change cannot be reopened.
          </Alert>
        ) : null}
        {review ? (
          <>
            <ZoneNote />
            <Group grow align="flex-start">
              <TextInput type="datetime-local" label="Actual start" required value={actualStart} onChange={(e) => setActualStart(e.currentTarget.value)} error={fieldError('actualStart')} />
              <TextInput type="datetime-local" label="Actual end" required value={actualEnd} onChange={(e) => setActualEnd(e.currentTarget.value)} error={fieldError('actualEnd')} />
            </Group>
            <NativeSelect
              label="Close code"
              required
              value={closeCode}
              onChange={(e) => setCloseCode(e.currentTarget.value as CloseCode | '')}
              error={fieldError('closeCode')}
              data={[
                { value: '', label: 'Choose how it went…', disabled: true },
                ...(Object.keys(CLOSE_CODE_LABELS) as CloseCode[]).map((k) => ({ value: k, label: CLOSE_CODE_LABELS[k] })),
              ]}
            />
            <Textarea label="Close notes" autosize minRows={2} maxRows={5} value={closeNotes} onChange={(e) => setCloseNotes(e.currentTarget.value)} />
          </>
        ) : null}
        <Textarea label="Comment" description="Recorded in the timeline." autosize minRows={1} maxRows={4} maxLength={4000} value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Back
          </Button>
          <Button type="submit" color={to === 'canceled' ? 'red' : undefined} loading={move.isPending}>
            {to === 'canceled' ? 'Cancel change' : `Move to ${CHANGE_STATE_LABELS[to]}`}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function RiskPanel({ change: c }: { change: Change }) {
  const { risk } = c;
  return (
    <Paper withBorder p="md" radius="md" data-testid="risk-panel">
      <Group justify="space-between" mb="xs">
        <Title order={3} size="h5">
          Risk
        </Title>
        <Group gap="xs">
          <RiskOverrideButton change={c} />
          <RiskBadge level={risk.effectiveLevel} size="lg" />
          {risk.score !== null ? (
            <Text size="sm" c="dimmed" data-testid="risk-score">
              score {risk.score}
            </Text>
          ) : null}
        </Group>
      </Group>
      {risk.override ? (
        <Alert color="yellow" variant="light" mb="sm" data-testid="risk-override" title={`Overridden to ${RISK_LABELS[risk.override.level]}`}>
          <Text size="sm">
            Computed: {risk.level ? RISK_LABELS[risk.level] : 'not assessed'}. {risk.override.byName}, {formatMoment(risk.override.at)}: “{risk.override.reason}”
          </Text>
        </Alert>
      ) : null}
      {risk.factors.length ? (
        <Table aria-label="Risk factors" data-testid="risk-factors" verticalSpacing={6}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Factor</Table.Th>
              <Table.Th ta="right">Points</Table.Th>
              <Table.Th>Detail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {risk.factors.map((f, i) => (
              <Table.Tr key={`${f.factor}-${i}`}>
                <Table.Td>
                  <Text size="sm">{FACTOR_LABELS[f.factor] ?? f.factor}</Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Text size="sm" className="sg-mono">
                    {f.points > 0 ? `+${f.points}` : f.points}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{f.detail}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">
          {risk.level ? 'No factor added to the risk.' : 'Not assessed yet: run the conflict and risk check.'}
        </Text>
      )}
    </Paper>
  );
}

function ConflictsPanel({ change: c }: { change: Change }) {
  const queryClient = useQueryClient();
  const check = useMutation({
    mutationFn: () => changesApi.checkConflicts(c.number),
    onSuccess: (updated) => {
      queryClient.setQueryData(changeKeys.detail(c.number), updated);
      void queryClient.invalidateQueries({ queryKey: changeKeys.nextStates(c.number) });
    },
  });
  const final = c.state.name === 'closed' || c.state.name === 'canceled';
  return (
    <Paper withBorder p="md" radius="md" data-testid="conflicts-panel">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Title order={3} size="h5">
            Conflicts
          </Title>
          <Badge miw="max-content" color={c.conflicts.length ? 'orange' : 'green'} variant="light">
            {c.conflicts.length ? `${c.conflicts.length} found` : 'None'}
          </Badge>
        </Group>
        <Group gap="xs">
          <Text size="xs" c="dimmed">
            Checked {formatMoment(c.conflictsCheckedAt)}
          </Text>
          {!final ? (
            <PermissionButton permission="change:update" size="xs" variant="default" leftSection={<IconRefresh size={14} />} loading={check.isPending} onClick={() => check.mutate()}>
              Check again
            </PermissionButton>
          ) : null}
        </Group>
      </Group>
      {check.isError ? <FormProblem error={check.error} title="The check failed" /> : null}
      {c.conflicts.length ? (
        <List spacing={6} size="sm" data-testid="conflicts">
          {c.conflicts.map((x, i) => (
            <List.Item key={`${x.kind}-${x.with.id}-${i}`} icon={<IconAlertTriangle size={14} color="var(--mantine-color-orange-7)" aria-hidden />}>
              <Text size="sm" fw={500} span>
                {CONFLICT_LABELS[x.kind] ?? x.kind}:{' '}
              </Text>
              {x.with.type === 'change' ? (
                <AnchorLink to="/changes/$number" params={{ number: x.with.id }} size="sm">
                  {x.with.label}
                </AnchorLink>
              ) : (
                <Text span size="sm">
                  {x.with.label}
                </Text>
              )}
              <Text size="xs" c="dimmed">
                {x.detail}
                {x.start || x.end ? ` · ${formatChangeWindow(x.start, x.end)}` : ''}
              </Text>
            </List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm" c="dimmed">
          No overlapping change, freeze or blackout in the planned window.
        </Text>
      )}
    </Paper>
  );
}

function DetailsPanel({ change: c }: { change: Change }) {
  const row = (label: string, value: React.ReactNode) => (
    <Table.Tr key={label}>
      <Table.Th w={150} fw={500}>
        {label}
      </Table.Th>
      <Table.Td>{value || <Text size="sm" c="dimmed">—</Text>}</Table.Td>
    </Table.Tr>
  );
  const pre = (s: string) => (s ? <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{s}</Text> : null);
  return (
    <Paper withBorder p="md" radius="md" data-testid="details-panel">
      <Title order={3} size="h5" mb="xs">
        Details
      </Title>
      <Table verticalSpacing={4} aria-label="Change details">
        <Table.Tbody>
          {row('Services', c.services.map((s) => s.name).join(', '))}
          {row('Environments', c.environments.map((e) => e.name).join(', '))}
          {row('Planned', formatChangeWindow(c.plannedStart, c.plannedEnd))}
          {c.actualStart || c.actualEnd ? row('Actual', formatChangeWindow(c.actualStart, c.actualEnd)) : null}
          {c.closeCode ? row('Close code', CLOSE_CODE_LABELS[c.closeCode]) : null}
          {c.emergencyReason ? row('Emergency reason', pre(c.emergencyReason)) : null}
          {c.template ? row('Template', `${c.template.name} (v${c.template.version})`) : null}
          {row('Security impact', c.securityImpact ? c.securityImpact.level : '')}
          {row('Description', pre(c.description))}
          {row('Justification', pre(c.justification))}
          {row('Implementation plan', pre(c.implementationPlan))}
          {row('Backout plan', pre(c.backoutPlan))}
          {row('Test plan', pre(c.testPlan))}
          {c.release ? row('Release', c.release.name) : null}
          {c.workItems.length ? row('Work items', c.workItems.map((w) => w.externalKey).join(', ')) : null}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

function HistoryPanel({ number }: { number: string }) {
  const history = useQuery({ queryKey: changeKeys.history(number), queryFn: ({ signal }) => changesApi.history(number, signal) });
  return (
    <Paper withBorder p="md" radius="md" data-testid="timeline">
      <Title order={3} size="h5" mb="sm">
        Timeline
      </Title>
      {history.isPending ? <Skeleton h={80} /> : null}
      {history.isError ? <ErrorState error={history.error} title="Could not load the timeline" onRetry={() => void history.refetch()} /> : null}
      {history.data ? (
        <Timeline active={history.data.items.length} bulletSize={14} lineWidth={2}>
          {history.data.items.map((h) => (
            <Timeline.Item key={h.id} title={<Text size="sm" fw={500}>{h.from ? `${CHANGE_STATE_LABELS[h.from.name]} → ` : 'Created in '}{CHANGE_STATE_LABELS[h.to.name]}</Text>}>
              <Text size="xs" c="dimmed">
                {h.actor.name} · {formatMoment(h.at)}
              </Text>
              {h.comment ? <Text size="sm">“{h.comment}”</Text> : null}
            </Timeline.Item>
          ))}
        </Timeline>
      ) : null}
    </Paper>
  );
}
