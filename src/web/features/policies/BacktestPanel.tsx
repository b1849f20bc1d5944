import { useState } from 'react';
import { Badge, Button, Code, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { IconBan, IconCircleCheck, IconQuestionMark, IconUsers } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { TablePanel } from '../../components/ListPageStates';
import { viewerTimeZone } from '../../lib/format';
import { policiesApi, type BacktestOutcome, type BacktestResult, type PolicyVersion } from './api';

const OUTCOMES: { key: BacktestOutcome; label: string; color: string; Icon: typeof IconBan }[] = [
  { key: 'autoApprove', label: 'Auto-approved', color: 'green', Icon: IconCircleCheck },
  { key: 'approvals', label: 'Needs approvals', color: 'blue', Icon: IconUsers },
  { key: 'block', label: 'Blocked', color: 'red', Icon: IconBan },
  { key: 'neither', label: 'No decision', color: 'gray', Icon: IconQuestionMark },
];
const outcomeOf = (key: BacktestOutcome) => OUTCOMES.find((o) => o.key === key)!;

const ymd = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
/** Local midnight of a YYYY-MM-DD day, plus `days`, as RFC 3339. */
const dayStart = (day: string, days = 0) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d! + days).toISOString();
};
const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`);

function OutcomeBadge({ outcome }: { outcome: BacktestOutcome }) {
  const { label, color, Icon } = outcomeOf(outcome);
  return (
    <Badge color={color} variant="light" leftSection={<Icon size={12} aria-hidden />}>
      {label}
    </Badge>
  );
}

export function BacktestPanel({ profileKey, versions }: { profileKey: string; versions: PolicyVersion[] }) {
  const today = new Date();
  const [from, setFrom] = useState(ymd(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 90)));
  const [to, setTo] = useState(ymd(today));
  const latest = versions.at(-1);
  const [version, setVersion] = useState(latest ? String(latest.version) : '');
  const run = useMutation({
    // `to` is the last day included
    mutationFn: () => policiesApi.backtest(profileKey, { from: dayStart(from), to: dayStart(to, 1), version: Number(version) }),
  });

  if (!latest) {
    return (
      <Text size="sm" c="dimmed">
        Save a policy version first: a backtest needs one to evaluate.
      </Text>
    );
  }

  return (
    <Stack gap="md">
      <Text size="sm" c="dimmed">
        A backtest replays the changes raised on this profile’s services in a period through a policy version, shows
        what it would have decided, and sets that against how those changes actually ended — nothing is changed.
      </Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate();
        }}
      >
        <Group align="flex-end" gap="sm">
          <TextInput type="date" label="From" value={from} onChange={(e) => setFrom(e.currentTarget.value)} required max={to} />
          <TextInput type="date" label="To (included)" value={to} onChange={(e) => setTo(e.currentTarget.value)} required min={from} />
          <NativeSelect
            label="Policy version"
            value={version}
            onChange={(e) => setVersion(e.currentTarget.value)}
            data={[...versions].reverse().map((v) => ({ value: String(v.version), label: `Version ${v.version} (${v.status})` }))}
          />
          <Button type="submit" loading={run.isPending} disabled={!from || !to}>
            Run backtest
          </Button>
        </Group>
        <Text size="xs" c="dimmed" mt={4}>
          Days in {viewerTimeZone}; changes count by the time they were raised.
        </Text>
      </form>
      {run.isError ? <ErrorState error={run.error} title="Could not run the backtest" onRetry={() => run.mutate()} /> : null}
      {run.data ? <BacktestResults result={run.data} /> : null}
    </Stack>
  );
}

function BacktestResults({ result }: { result: BacktestResult }) {
  return (
    <Stack gap="md" data-testid="backtest-result">
      <Paper withBorder radius="md" p="md" component="section" aria-label="Outcomes">
        <Title order={2} fz="h5" mb={4}>
          Version {result.version}: {result.total} {result.total === 1 ? 'change' : 'changes'}
        </Title>
        <Text size="xs" c="dimmed" mb="sm">
          Failure rate = closed unsuccessful ÷ closed. A low rate among auto-approved changes means the policy lets the
          right changes through.
        </Text>
        <Table aria-label="Backtest outcomes" data-testid="backtest-outcomes">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Would have been</Table.Th>
              <Table.Th ta="right">Changes</Table.Th>
              <Table.Th ta="right">Closed</Table.Th>
              <Table.Th ta="right">Unsuccessful</Table.Th>
              <Table.Th ta="right">Failure rate</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {OUTCOMES.map(({ key }) => {
              const g = result[key];
              return (
                <Table.Tr key={key} data-testid={`outcome-${key}`}>
                  <Table.Td>
                    <OutcomeBadge outcome={key} />
                  </Table.Td>
                  <Table.Td ta="right" data-testid="count">
                    {g.count}
                  </Table.Td>
                  <Table.Td ta="right">{g.closed}</Table.Td>
                  <Table.Td ta="right">{g.unsuccessful}</Table.Td>
                  <Table.Td ta="right">{percent(g.failureRate)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
      {result.changes.length ? (
        <TablePanel minWidth={640}>
          <Table aria-label="Changes in the backtest" data-testid="backtest-changes">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Change</Table.Th>
                <Table.Th>Would have been</Table.Th>
                <Table.Th>Closed as</Table.Th>
                <Table.Th>Rules fired</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {result.changes.map((c) => (
                <Table.Tr key={c.number}>
                  <Table.Td>
                    <AnchorLink to="/changes/$number" params={{ number: c.number }} className="sg-mono">
                      {c.number}
                    </AnchorLink>
                  </Table.Td>
                  <Table.Td>
                    <OutcomeBadge outcome={c.outcome} />
                  </Table.Td>
                  <Table.Td>{c.closeCode ? <Text size="sm">{c.closeCode.replace(/_/g, ' ')}</Text> : <Text size="sm" c="dimmed">still open</Text>}</Table.Td>
                  <Table.Td>
                    {c.fired.length ? (
                      <Group gap={4}>
                        {c.fired.map((id) => (
                          <Code key={id}>{id}</Code>
                        ))}
                      </Group>
                    ) : (
                      <Text size="sm" c="dimmed">
                        none (defaults)
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
      ) : (
        <Text size="sm" c="dimmed">
          No changes were raised on this profile’s services in this period. Widen the period to include some.
        </Text>
      )}
    </Stack>
  );
}
