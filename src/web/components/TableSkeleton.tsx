import { Skeleton, Stack } from '@mantine/core';

/** Placeholder rows while a list loads. */
export function TableSkeleton({ rows = 6, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <Stack gap={8} aria-busy="true" aria-label={label} role="status">
      <Skeleton height={28} radius="sm" />
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={22} radius="sm" opacity={1 - i * 0.1} />
      ))}
    </Stack>
  );
}
