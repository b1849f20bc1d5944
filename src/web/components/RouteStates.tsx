import { Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import { Link, useRouter, type ErrorComponentProps } from '@tanstack/react-router';
import { ErrorState } from './ErrorState';

export function RoutePending() {
  return (
    <Center py="xl" role="status" aria-label="Loading page">
      <Loader size="sm" />
    </Center>
  );
}

export function RouteError({ error, reset }: ErrorComponentProps) {
  const router = useRouter();
  return (
    <Stack p="md" maw={720}>
      <ErrorState
        error={error}
        title="This page failed to load"
        onRetry={() => {
          reset();
          void router.invalidate();
        }}
      />
    </Stack>
  );
}

export function RouteNotFound() {
  return (
    <Center py={80}>
      <Stack align="center" gap="xs">
        <Title order={1} fz="h3">
          Page not found
        </Title>
        <Text c="dimmed" size="sm">
          There is no page at this address.
        </Text>
        <Button component={Link} to="/" variant="default" mt="sm">
          Go to the dashboard
        </Button>
      </Stack>
    </Center>
  );
}
