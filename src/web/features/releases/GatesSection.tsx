import { useState } from 'react';
import { Alert, Button, Group, List, Modal, Paper, SegmentedControl, Skeleton, Stack, Text, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { IconCheck, IconPlayerSkipForward, IconSignature, IconX } from '@tabler/icons-react';
import type { ProblemFieldError } from '../../api/client';
import { gatesApi } from '../../api/endpoints';
import { queryKeys } from '../../api/queryKeys';
import type { GateDetail, Release, ReleaseGate } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { mapFieldErrors } from '../../components/formErrors';
import { PermissionButton } from '../../components/PermissionButton';
import { useOpenCount } from '../../components/useOpenCount';
import { formatDateTime } from '../../lib/format';
import { CriterionStatus, criterionLabel, formatDay, GATE_STATUS_LABELS, GateStatusBadge } from './model';

export function GatesSection({ release }: { release: Release }) {
  const [signing, setSigning] = useState<ReleaseGate | null>(null);
  const [waiving, setWaiving] = useState<ReleaseGate | null>(null);
  const closed = release.status === 'released' || release.status === 'canceled';

  if (release.gates.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No gates. Gates are milestones with criteria (sign-offs, scope done, checks); a template brings its gates along.
      </Text>
    );
  }
  const phaseName = (key: string | null) => (key ? (release.phases.find((p) => p.key === key || p.id === key)?.name ?? key) : null);

  return (
    <Stack gap="sm">
      {release.gates.map((gate) => (
        <GateCard
          key={gate.id}
          gate={gate}
          afterPhase={phaseName(gate.afterPhase)}
          closed={closed}
          onSign={() => setSigning(gate)}
          onWaive={() => setWaiving(gate)}
        />
      ))}
      <SignoffDialog gate={signing} onClose={() => setSigning(null)} />
      <WaiverDialog gate={waiving} onClose={() => setWaiving(null)} />
    </Stack>
  );
}

function GateCard({
  gate,
  afterPhase,
  closed,
  onSign,
  onWaive,
}: {
  gate: ReleaseGate;
  afterPhase: string | null;
  closed: boolean;
  onSign: () => void;
  onWaive: () => void;
}) {
  // The release carries status and criteria; sign-off decisions and who may still sign come from the gate itself.
  const detail = useQuery({
    queryKey: queryKeys.gates.detail(gate.id),
    queryFn: ({ signal }) => gatesApi.get(gate.id, signal),
  });
  const d = detail.data;
  const needsSignoff = gate.criteria.some((c) => c.kind === 'manual_signoff');

  return (
    <Paper withBorder radius="md" p="sm" data-testid={`gate-${gate.key}`} aria-label={`Gate ${gate.name}: ${GATE_STATUS_LABELS[gate.status]}`} component="section">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={2}>
          <Group gap="xs">
            <Text fw={600}>◆ {gate.name}</Text>
            <GateStatusBadge status={gate.status} />
          </Group>
          <Text size="xs" c="dimmed">
            {afterPhase ? `After ${afterPhase}` : 'Before the first phase'} · due {formatDay(gate.plannedAt)}
            {gate.approverTeam ? ` · sign-off by ${gate.approverTeam.name}` : ''}
            {needsSignoff ? ` · quorum ${gate.quorum}` : ''}
            {gate.pushedFromGateId ? ' · pushed down from the enterprise release' : ''}
          </Text>
        </Stack>
        {!closed ? (
          <Group gap="xs" wrap="nowrap">
            {needsSignoff && (gate.status === 'pending' || gate.status === 'failed') ? (
              <PermissionButton permission="gate:signoff" size="xs" variant="light" leftSection={<IconSignature size={14} />} onClick={onSign}>
                Sign off
              </PermissionButton>
            ) : null}
            {gate.status === 'pending' || gate.status === 'failed' ? (
              <PermissionButton permission="gate:waive" size="xs" variant="default" leftSection={<IconPlayerSkipForward size={14} />} onClick={onWaive}>
                Waive
              </PermissionButton>
            ) : null}
          </Group>
        ) : null}
      </Group>

      {gate.criteria.length ? (
        <List spacing={4} mt="xs" size="sm" listStyleType="none" aria-label={`Criteria of ${gate.name}`}>
          {gate.criteria.map((c) => (
            <List.Item key={c.id}>
              <Group gap="xs" wrap="nowrap" align="baseline">
                <CriterionStatus status={c.status} />
                <Text size="sm">{criterionLabel(c.kind, c.config)}</Text>
                {c.detail ? (
                  <Text size="xs" c="dimmed">
                    — {c.detail}
                  </Text>
                ) : null}
              </Group>
            </List.Item>
          ))}
        </List>
      ) : (
        <Text size="xs" c="dimmed" mt="xs">
          No criteria: the gate stays pending until it is waived.
        </Text>
      )}

      {detail.isPending ? <Skeleton h={14} mt="xs" w="60%" /> : null}
      {d ? <GateExtras gate={d} /> : null}
    </Paper>
  );
}

function GateExtras({ gate }: { gate: GateDetail }) {
  const s = gate.signoff;
  return (
    <Stack gap={4} mt="xs">
      {gate.waiver ? (
        <Alert color="gray" variant="light" p="xs" icon={<IconPlayerSkipForward size={16} />}>
          <Text size="sm">
            Waived by {gate.waiver.by?.name ?? 'system'} on {formatDateTime(gate.waiver.at)}: “{gate.waiver.reason}”
          </Text>
        </Alert>
      ) : null}
      {s.required ? (
        <>
          {s.decisions.map((dec) => (
            <Text key={dec.user.id} size="xs">
              {dec.decision === 'approve' ? '✓ Approved' : '✗ Rejected'} by <b>{dec.user.name}</b> · {formatDateTime(dec.decidedAt)}
              {dec.comment ? ` — “${dec.comment}”` : ''}
            </Text>
          ))}
          {gate.status === 'pending' ? (
            <Text size="xs" c="dimmed">
              {s.approvals} of {s.quorum} approvals.{' '}
              {s.pendingApprovers === null
                ? 'Anyone holding the gate sign-off permission may sign.'
                : s.pendingApprovers.length
                  ? `May still sign: ${s.pendingApprovers.map((p) => p.name).join(', ')}.`
                  : 'No one in the approver team is left to sign.'}
            </Text>
          ) : null}
        </>
      ) : null}
    </Stack>
  );
}

function useGateMutationDone() {
  const queryClient = useQueryClient();
  return (gate: GateDetail) => {
    queryClient.setQueryData(queryKeys.gates.detail(gate.id), gate);
    void queryClient.invalidateQueries({ queryKey: queryKeys.releases.all });
    void queryClient.invalidateQueries({ queryKey: queryKeys.audit.all });
    void queryClient.invalidateQueries({ queryKey: queryKeys.calendar.all });
  };
}

export function SignoffDialog({ gate, onClose }: { gate: ReleaseGate | null; onClose: () => void }) {
  const session = useOpenCount(gate !== null);
  return (
    <Modal opened={gate !== null} onClose={onClose} title={<Text fw={600}>Sign off gate {gate?.name}</Text>} size="md">
      {gate ? <SignoffForm key={session} gate={gate} onDone={onClose} /> : null}
    </Modal>
  );
}

function SignoffForm({ gate, onDone }: { gate: ReleaseGate; onDone: () => void }) {
  const [decision, setDecision] = useState<'approve' | 'reject'>('approve');
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  const done = useGateMutationDone();
  const sign = useMutation({
    mutationFn: () => gatesApi.signoff(gate.id, { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) }),
    onSuccess: (fresh) => {
      done(fresh);
      notifications.show({
        color: decision === 'approve' ? 'green' : 'red',
        title: decision === 'approve' ? 'Gate approved' : 'Gate rejected',
        message: `${fresh.name} is now ${GATE_STATUS_LABELS[fresh.status].toLowerCase()}.`,
      });
      onDone();
    },
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, ['comment']);
      setCommentError(fieldErrors.comment ?? null);
      setUnplaced(rest);
    },
  });
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (decision === 'reject' && !comment.trim()) {
      setCommentError('Say what must change: a rejection needs a comment.');
      return;
    }
    setCommentError(null);
    sign.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <FormProblem error={sign.error} unplaced={unplaced} title="Could not record your decision" />
        <Text size="sm" c="dimmed">
          Your decision is recorded with your name and is audited. Deciding again replaces your earlier decision.
        </Text>
        <SegmentedControl
          aria-label="Decision"
          value={decision}
          onChange={(v) => setDecision(v as 'approve' | 'reject')}
          data={[
            { value: 'approve', label: 'Approve' },
            { value: 'reject', label: 'Reject' },
          ]}
          // white on green.7 / red.7 is 2.7:1 / 3.8:1: shades that meet 4.5:1
          color={decision === 'approve' ? '#1f6b34' : 'red.9'}
        />
        <Textarea
          label="Comment"
          description={decision === 'reject' ? 'Required: what must change before you approve.' : 'Optional.'}
          required={decision === 'reject'}
          autosize
          minRows={3}
          maxLength={4000}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          error={commentError}
          data-autofocus
        />
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onDone} disabled={sign.isPending}>
            Cancel
          </Button>
          <Button type="submit" color={decision === 'approve' ? 'green' : 'red'} loading={sign.isPending} leftSection={decision === 'approve' ? <IconCheck size={14} /> : <IconX size={14} />}>
            {decision === 'approve' ? 'Approve gate' : 'Reject gate'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function WaiverDialog({ gate, onClose }: { gate: ReleaseGate | null; onClose: () => void }) {
  const session = useOpenCount(gate !== null);
  return (
    <Modal opened={gate !== null} onClose={onClose} title={<Text fw={600}>Waive gate {gate?.name}</Text>} size="md">
      {gate ? <WaiverForm key={session} gate={gate} onDone={onClose} /> : null}
    </Modal>
  );
}

function WaiverForm({ gate, onDone }: { gate: ReleaseGate; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [unplaced, setUnplaced] = useState<ProblemFieldError[]>([]);
  const done = useGateMutationDone();
  const waive = useMutation({
    mutationFn: () => gatesApi.waive(gate.id, reason.trim()),
    onSuccess: (fresh) => {
      done(fresh);
      notifications.show({ color: 'gray', title: 'Gate waived', message: `${fresh.name}: ${reason.trim()}` });
      onDone();
    },
    onError: (error) => {
      const { fieldErrors, unplaced: rest } = mapFieldErrors(error, ['reason']);
      setReasonError(fieldErrors.reason ?? null);
      setUnplaced(rest);
    },
  });
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    if (reason.trim().length < 10) {
      setReasonError('State why the gate may be skipped (at least 10 characters).');
      return;
    }
    setReasonError(null);
    waive.mutate();
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <FormProblem error={waive.error} unplaced={unplaced} title="Could not waive the gate" />
        <Alert color="yellow" variant="light" p="xs">
          <Text size="sm">
            A waiver lets the release pass this gate whatever its criteria say. It cannot be undone and is audited with your name and
            reason.
          </Text>
        </Alert>
        <Textarea
          label="Reason"
          required
          autosize
          minRows={3}
          maxLength={4000}
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          error={reasonError}
          data-autofocus
        />
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onDone} disabled={waive.isPending}>
            Cancel
          </Button>
          <Button type="submit" color="orange" loading={waive.isPending}>
            Waive gate
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
