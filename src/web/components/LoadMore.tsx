import { Button, Group, Text } from '@mantine/core';

interface LoadMoreProps {
  shown: number;
  hasMore: boolean;
  loading: boolean;
  onLoadMore: () => void;
  noun: string;
}

export function LoadMore({ shown, hasMore, loading, onLoadMore, noun }: LoadMoreProps) {
  return (
    <Group justify="space-between" mt="sm">
      <Text size="xs" c="dimmed" aria-live="polite">
        Showing {shown} {noun}
        {hasMore ? '' : ' (all)'}
      </Text>
      {hasMore ? (
        <Button variant="default" onClick={onLoadMore} loading={loading}>
          Load more
        </Button>
      ) : null}
    </Group>
  );
}
