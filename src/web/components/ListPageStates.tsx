import type { ReactNode } from 'react';
import { Button, EmptyState, Group, Paper, Table } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { ErrorState } from './ErrorState';
import { LoadMore } from './LoadMore';
import { TableSkeleton } from './TableSkeleton';

/** The parts of a TanStack query that a list page's loading / error states need. */
interface ListQueryState {
  isPending: boolean;
  isError: boolean;
  isFetching: boolean;
  error: unknown;
  refetch: () => unknown;
}

interface ListPageStatesProps {
  query: ListQueryState;
  loadingLabel: string;
  skeletonRows?: number;
  errorTitle: string;
  isEmpty: boolean;
  /** Shown when loaded and `isEmpty`. */
  empty: ReactNode;
  /** The list itself, shown when loaded and not empty. */
  children: ReactNode;
}

/** Loading skeleton → error with retry → empty state → the list. */
export function ListPageStates({
  query,
  loadingLabel,
  skeletonRows,
  errorTitle,
  isEmpty,
  empty,
  children,
}: ListPageStatesProps) {
  if (query.isPending) return <TableSkeleton rows={skeletonRows} label={loadingLabel} />;
  if (query.isError) {
    return (
      <ErrorState error={query.error} title={errorTitle} onRetry={() => void query.refetch()} retrying={query.isFetching} />
    );
  }
  return <>{isEmpty ? empty : children}</>;
}

interface EmptyStatePanelProps {
  icon: ReactNode;
  title: ReactNode;
  description: ReactNode;
  /** Centred under the description, e.g. a "create your first…" button. */
  action?: ReactNode;
  testId?: string;
}

/** A bordered panel with an empty state, used where a list has nothing to show. */
export function EmptyStatePanel({ icon, title, description, action, testId }: EmptyStatePanelProps) {
  return (
    <Paper withBorder p="xl" radius="md" data-testid={testId}>
      <EmptyState icon={icon} title={title} description={description}>
        {action ? (
          <Group justify="center" mt="sm">
            {action}
          </Group>
        ) : null}
      </EmptyState>
    </Paper>
  );
}

/** The empty state when filters hide everything: offers a "Clear filters" button. */
export function NoFilterMatchesPanel({
  title,
  description,
  onClear,
  icon = <IconSearch size={28} />,
  testId,
}: {
  title: ReactNode;
  description: ReactNode;
  onClear: () => void;
  icon?: ReactNode;
  testId?: string;
}) {
  return (
    <EmptyStatePanel
      icon={icon}
      title={title}
      description={description}
      testId={testId}
      action={
        <Button variant="default" onClick={onClear}>
          Clear filters
        </Button>
      }
    />
  );
}

/** Bordered, rounded container for a list table; scrolls horizontally below `minWidth`. */
export function TablePanel({ minWidth, children }: { minWidth?: number; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" style={{ overflow: 'hidden' }}>
      {minWidth === undefined ? children : <Table.ScrollContainer minWidth={minWidth}>{children}</Table.ScrollContainer>}
    </Paper>
  );
}

interface CursorQueryState {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
}

/** "Showing N things" + "Load more" for a cursor-paged (infinite) query. */
export function CursorLoadMore({
  list,
  shown,
  noun,
  nounPlural,
}: {
  list: CursorQueryState;
  shown: number;
  noun: string;
  nounPlural: string;
}) {
  return (
    <LoadMore
      shown={shown}
      hasMore={Boolean(list.hasNextPage)}
      loading={list.isFetchingNextPage}
      onLoadMore={() => void list.fetchNextPage()}
      noun={shown === 1 ? noun : nounPlural}
    />
  );
}
