import { useState } from 'react';
import { Alert, Anchor, Badge, Group, Modal, NativeSelect, Paper, Stack, Text, Textarea, Title, Button } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { api } from '../../api/client';
import type { Change, RiskLevel } from '../../api/types';
import { FormProblem } from '../../components/FormProblem';
import { PermissionButton } from '../../components/PermissionButton';
import { changeKeys, RISK_LABELS } from './model';

const FACT_LABELS: Record<string, string> = {
  riskLevel: 'risk', serviceTier: 'service tier', environmentTier: 'environment', changeFailureRate90d: 'failure rate (90 days)', testsPassed: 'tests passed',
};

function factText(key: string, value: unknown): string {
  if (value === null || value === undefined) return 'unknown';
  if (key === 'changeFailureRate90d') return `${Math.round(Number(value) * 100)} %`;
  if (key === 'riskLevel') return RISK_LABELS[value as RiskLevel] ?? String(value);
  return String(value);
}

/** What the governance policies of the change's services decided, and the facts they saw. */
export function PolicyPanel({ change: c }: { change: Change }) {
  const p = c.policy;
  return (
    <Paper withBorder p="md" radius="md" data-testid="policy-panel">
      <Title order={3} size="h5" mb="xs">
        Governance policy
      </Title>
      {!p ? (
        <Text size="sm" c="dimmed">
          None of the services has a governance profile: the built-in approvals apply (normal changes two CAB approvals, emergencies one of the emergency CAB).
        </Text>
      ) : (
        <Stack gap="xs">
          <Group gap="xs">
            {p.profiles.map((x) => (
              <Anchor key={x.profile} component={Link} to="/policies" size="sm">
                {x.profile}@{x.version}
              </Anchor>
            ))}
            {p.block ? (
              <Badge color="red" variant="light" data-testid="policy-outcome">Blocked</Badge>
            ) : p.autoApprove ? (
              <Badge color="green" variant="light" data-testid="policy-outcome">Auto-approved</Badge>
            ) : (
              <Badge color="blue" variant="light" data-testid="policy-outcome">
                Needs {p.approvals.map((a) => `${a.quorum ?? 'all'} of ${a.group}`).join(', ') || 'the default approvals'}
              </Badge>
            )}
            {p.changeType !== c.type ? (
              <Badge color="yellow" variant="light" title="The policy would make this kind of change">
                policy asks for a {p.changeType} change
              </Badge>
            ) : null}
          </Group>
          {p.block ? (
            <Alert color="red" variant="light" data-testid="policy-block">
              {p.block}. The change cannot move forward until its scope, window or risk changes the decision; it can still be canceled.
            </Alert>
          ) : null}
          <Text size="sm" data-testid="policy-rules">
            {p.profiles
              .map((x) => (x.fired.length ? `${x.profile}: rule${x.fired.length > 1 ? 's' : ''} ${x.fired.join(', ')} fired` : `${x.profile}: no rule fired, its defaults decided`))
              .join('; ')}
            .
          </Text>
          <Text size="xs" c="dimmed">
            Facts seen:{' '}
            {Object.entries(FACT_LABELS)
              .map(([k, label]) => `${label} ${factText(k, p.facts[k as keyof typeof p.facts])}`)
              .join(' · ')}
          </Text>
        </Stack>
      )}
    </Paper>
  );
}

/** Manual risk override: a level and the reason, audited; the policy decides again on it. */
export function RiskOverrideButton({ change: c }: { change: Change }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [level, setLevel] = useState<RiskLevel>(c.risk.effectiveLevel ?? 'moderate');
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () => api.post<Change>(`/changes/${encodeURIComponent(c.number)}/risk/override`, { level, reason: reason.trim() }, { ifMatch: c.version }),
    onSuccess: (updated) => {
      queryClient.setQueryData(changeKeys.detail(c.number), updated);
      void queryClient.invalidateQueries({ queryKey: changeKeys.approvals(c.number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.nextStates(c.number) });
      void queryClient.invalidateQueries({ queryKey: changeKeys.history(c.number) });
      setOpen(false);
      setReason('');
      notifications.show({ color: 'green', title: 'Risk overridden', message: `${c.number} is now ${RISK_LABELS[updated.risk.effectiveLevel ?? level]}` });
    },
  });
  if (c.state.name === 'closed' || c.state.name === 'canceled') return null;
  return (
    <>
      <PermissionButton permission="change:update" size="xs" variant="default" onClick={() => setOpen(true)} data-testid="risk-override-open">
        Override risk
      </PermissionButton>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Override the risk of ${c.number}`}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <Stack gap="sm">
            <Text size="sm" c="dimmed">
              The computed score stays visible beside your level. The override is audited, and the governance policy decides again with it (approvals may start
              again).
            </Text>
            <NativeSelect
              label="Risk level"
              value={level}
              onChange={(e) => setLevel(e.currentTarget.value as RiskLevel)}
              data={(['low', 'moderate', 'high', 'very_high'] as const).map((v) => ({ value: v, label: RISK_LABELS[v] }))}
            />
            <Textarea label="Reason" required minRows={2} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            <FormProblem error={save.error} title="The risk was not overridden" />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={save.isPending} disabled={!reason.trim()}>
                Override
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
