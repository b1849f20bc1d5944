import { useState } from 'react';
import { Box, Button, Group, Paper, Stack, Switch, Text } from '@mantine/core';
import { changesApi } from '../../api/endpoints';
import type { Change, ChangeListParams, ChangeStateName } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { ErrorState } from '../../components/ErrorState';
import { useCursorList } from '../../components/useCursorList';
import { changeKeys, ChangeStateBadge, ChangeTypeBadge, RiskBadge } from './model';

/** Each column reads this many changes at a time. */
const COLUMN_SIZE = 50;
const ACTIVE: ChangeStateName[] = ['new', 'assess', 'authorize', 'scheduled', 'implement', 'review'];
const FINISHED: ChangeStateName[] = ['closed', 'canceled'];
/** cards are narrow: the year and zone are left to the page's zone note */
const shortMoment = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

type Filters = Omit<ChangeListParams, 'state' | 'limit' | 'cursor'>;

/** Changes by state, one column per state; closed and canceled ones only on request (they pile up). */
export function ChangeBoard({ filters }: { filters: Filters }) {
  const [showFinished, setShowFinished] = useState(false);
  const states = showFinished ? [...ACTIVE, ...FINISHED] : ACTIVE;
  return (
    <Stack gap="xs">
      <Switch
        size="sm"
        label="Show closed and canceled changes"
        checked={showFinished}
        onChange={(e) => setShowFinished(e.currentTarget.checked)}
        data-testid="board-show-finished"
      />
      <Box
        tabIndex={0}
        aria-label="Changes by state"
        data-testid="change-board"
        style={{ display: 'grid', gridTemplateColumns: `repeat(${states.length}, minmax(170px, 1fr))`, gap: 'var(--mantine-spacing-sm)', overflowX: 'auto', paddingBottom: 4 }}
      >
        {states.map((s) => (
          <StateColumn key={s} state={s} filters={filters} />
        ))}
      </Box>
    </Stack>
  );
}

function StateColumn({ state, filters }: { state: ChangeStateName; filters: Filters }) {
  const params = { ...filters, state };
  const { list, items } = useCursorList({
    queryKey: changeKeys.list({ ...params, board: true }),
    fetchPage: (cursor, signal) => changesApi.list({ ...params, limit: COLUMN_SIZE, cursor }, signal),
  });
  return (
    <Paper withBorder radius="md" p="xs" bg="var(--mantine-color-default-hover)" data-testid={`board-column-${state}`} component="section" aria-label={`${state} changes`}>
      <Group justify="space-between" mb="xs" wrap="nowrap">
        <ChangeStateBadge state={state} />
        {list.isSuccess ? (
          <Text size="xs" c="dimmed" data-testid="column-count">
            {items.length}
            {list.hasNextPage ? '+' : ''}
          </Text>
        ) : null}
      </Group>
      {list.isPending ? (
        <Text size="xs" c="dimmed">
          Loading…
        </Text>
      ) : list.isError ? (
        <ErrorState error={list.error} title="Could not load" onRetry={() => void list.refetch()} retrying={list.isFetching} />
      ) : (
        <Stack gap={6}>
          {items.length === 0 ? (
            <Text size="xs" c="dimmed" ta="center" py="md">
              No changes
            </Text>
          ) : (
            items.map((c) => <ChangeCard key={c.id} change={c} />)
          )}
          {list.hasNextPage ? (
            <Button variant="subtle" size="compact-xs" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              More in this state: load {COLUMN_SIZE} more
            </Button>
          ) : null}
        </Stack>
      )}
    </Paper>
  );
}

function ChangeCard({ change: c }: { change: Change }) {
  return (
    <Paper withBorder radius="sm" p={8} shadow="xs" data-testid={`board-card-${c.number}`}>
      <AnchorLink to="/changes/$number" params={{ number: c.number }} className="sg-mono" fw={500} size="xs">
        {c.number}
      </AnchorLink>
      <Text size="sm" lineClamp={2} mb={4} title={c.title}>
        {c.title}
      </Text>
      <Group gap={4} mb={4}>
        <ChangeTypeBadge type={c.type} />
        <RiskBadge level={c.risk.effectiveLevel} />
      </Group>
      <Text size="xs" c="dimmed">
        {c.plannedStart ? `Starts ${shortMoment.format(new Date(c.plannedStart))}` : 'Not planned'}
      </Text>
    </Paper>
  );
}
