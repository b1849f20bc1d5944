import { useState } from 'react';
import { Badge, Button, Code, Group, List, NativeSelect, NumberInput, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { IconCheck, IconX } from '@tabler/icons-react';
import { ErrorState } from '../../components/ErrorState';
import { policiesApi, type PolicyEvaluation, type PolicyFacts, type PolicyVersion } from './api';

const UNKNOWN = { value: '', label: 'Unknown' };
const options = (values: string[]) => [UNKNOWN, ...values.map((v) => ({ value: v, label: v.replace(/_/g, ' ') }))];
const YES_NO = [UNKNOWN, { value: 'true', label: 'Yes' }, { value: 'false', label: 'No' }];

type FactForm = Record<'changeType' | 'riskLevel' | 'environmentTier' | 'serviceTier' | 'testsPassed' | 'emergency', string> & { failureRate: number | string };

function toFacts(f: FactForm): PolicyFacts {
  const bool = (v: string) => (v === '' ? undefined : v === 'true');
  return {
    changeType: (f.changeType || undefined) as PolicyFacts['changeType'],
    riskLevel: (f.riskLevel || undefined) as PolicyFacts['riskLevel'],
    environmentTier: (f.environmentTier || undefined) as PolicyFacts['environmentTier'],
    serviceTier: f.serviceTier ? Number(f.serviceTier) : undefined,
    testsPassed: bool(f.testsPassed),
    emergency: bool(f.emergency),
    changeFailureRate90d: f.failureRate === '' ? undefined : Number(f.failureRate) / 100,
  };
}

export function EvaluatePanel({ profileKey, versions }: { profileKey: string; versions: PolicyVersion[] }) {
  const [form, setForm] = useState<FactForm>({ changeType: 'normal', riskLevel: 'low', environmentTier: 'production', serviceTier: '', testsPassed: 'true', emergency: '', failureRate: '' });
  const [version, setVersion] = useState(String(versions.at(-1)?.version ?? ''));
  const set = (key: keyof FactForm) => (e: React.ChangeEvent<HTMLSelectElement>) => setForm({ ...form, [key]: e.currentTarget.value });
  const run = useMutation({ mutationFn: () => policiesApi.evaluate({ profile: profileKey, version: Number(version), ...toFacts(form) }) });

  if (!versions.length) return <Text size="sm" c="dimmed">Save a policy version first: there is nothing to evaluate yet.</Text>;

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        Describe a change and see what a policy version decides for it and why. A fact left unknown satisfies no condition.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate();
        }}
      >
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
          <NativeSelect label="Change type" value={form.changeType} onChange={set('changeType')} data={options(['standard', 'normal', 'emergency'])} />
          <NativeSelect label="Risk level" value={form.riskLevel} onChange={set('riskLevel')} data={options(['low', 'moderate', 'high', 'very_high'])} />
          <NativeSelect label="Environment tier" value={form.environmentTier} onChange={set('environmentTier')} data={options(['development', 'testing', 'staging', 'production'])} />
          <NativeSelect label="Service tier" value={form.serviceTier} onChange={set('serviceTier')} data={[UNKNOWN, ...['1', '2', '3', '4'].map((t) => ({ value: t, label: `Tier ${t}` }))]} />
          <NativeSelect label="Tests passed" value={form.testsPassed} onChange={set('testsPassed')} data={YES_NO} />
          <NativeSelect label="Emergency" value={form.emergency} onChange={set('emergency')} data={YES_NO} />
          <NumberInput label="Failure rate, 90 days (%)" value={form.failureRate} onChange={(v) => setForm({ ...form, failureRate: v })} min={0} max={100} placeholder="Unknown" />
          <NativeSelect label="Policy version" value={version} onChange={(e) => setVersion(e.currentTarget.value)} data={[...versions].reverse().map((v) => ({ value: String(v.version), label: `Version ${v.version} (${v.status})` }))} />
        </SimpleGrid>
        <Button type="submit" mt="sm" loading={run.isPending}>
          Evaluate
        </Button>
      </form>
      {run.isError ? <ErrorState error={run.error} title="Could not evaluate" onRetry={() => run.mutate()} /> : null}
      {run.data ? <EvaluationResult evaluation={run.data} /> : null}
    </Stack>
  );
}

function DecisionSummary({ decision }: { decision: PolicyEvaluation['decision'] }) {
  if (decision.block) return <Badge color="red" variant="light">Blocked: {decision.block}</Badge>;
  if (decision.autoApprove) return <Badge color="green" variant="light">Auto-approved</Badge>;
  if (decision.approvals.length) {
    const who = decision.approvals.map((a) => `${a.group} (${a.quorum === null ? 'all members' : `${a.quorum} of them`})`).join(', ');
    return <Badge color="blue" variant="light" tt="none">Needs approvals: {who}</Badge>;
  }
  return <Badge color="gray" variant="light">No decision</Badge>;
}

function EvaluationResult({ evaluation: { version, decision, explanation } }: { evaluation: PolicyEvaluation }) {
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label="Decision" data-testid="evaluation-result">
      <Group gap="sm" mb="xs">
        <Title order={2} fz="h5">
          Version {version} decides
        </Title>
        <DecisionSummary decision={decision} />
      </Group>
      <Text size="sm" mb="sm">
        {decision.changeType} change; maintenance windows: {decision.windows}. Decided by{' '}
        {explanation.fired.length ? explanation.fired.map((id) => <Code key={id}>{id}</Code>) : 'no rule'}
        {explanation.fromDefaults.length ? `; from defaults: ${explanation.fromDefaults.join(', ')}` : ''}.
      </Text>
      <Table aria-label="Rules checked">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Rule</Table.Th>
            <Table.Th>Fired</Table.Th>
            <Table.Th>Conditions</Table.Th>
            <Table.Th>Decided</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {explanation.rules.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Code>{r.id}</Code>
              </Table.Td>
              <Table.Td>{r.fired ? 'Yes' : 'No'}</Table.Td>
              <Table.Td>
                {r.conditions.length ? (
                  <List size="xs" spacing={2} listStyleType="none">
                    {r.conditions.map((c, i) => (
                      <List.Item key={i} icon={c.met ? <IconCheck size={12} color="var(--mantine-color-green-8)" aria-label="met" /> : <IconX size={12} color="var(--mantine-color-red-8)" aria-label="not met" />}>
                        <span className="sg-mono">
                          {c.fact} {JSON.stringify(c.test)}
                        </span>{' '}
                        — the change has {c.value === undefined || c.value === null ? 'no value' : JSON.stringify(c.value)}
                      </List.Item>
                    ))}
                  </List>
                ) : (
                  <Text size="xs" c="dimmed">
                    always fires
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Text size="xs">{r.decided.join(', ') || '—'}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
