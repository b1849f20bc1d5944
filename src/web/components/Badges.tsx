import { Badge, Group, Text, Tooltip } from '@mantine/core';
import { IconShieldCheck, IconShieldOff } from '@tabler/icons-react';
import type { EnvironmentTier, ServiceTier } from '../api/types';

export const SERVICE_TIER_LABELS: Record<ServiceTier, string> = {
  1: '1 — most critical',
  2: '2 — critical',
  3: '3 — important',
  4: '4 — least critical',
};

const SERVICE_TIER_COLORS: Record<ServiceTier, string> = { 1: 'red', 2: 'orange', 3: 'blue', 4: 'gray' };

export function ServiceTierBadge({ tier }: { tier: ServiceTier }) {
  return (
    <Tooltip label={`Tier ${SERVICE_TIER_LABELS[tier] ?? tier}`}>
      <Badge color={SERVICE_TIER_COLORS[tier] ?? 'gray'} variant="light">
        Tier {tier}
      </Badge>
    </Tooltip>
  );
}

export const ENV_TIER_LABELS: Record<EnvironmentTier, string> = {
  development: 'Development',
  testing: 'Testing',
  staging: 'Staging',
  production: 'Production',
};

const ENV_TIER_COLORS: Record<EnvironmentTier, string> = {
  development: 'gray',
  testing: 'cyan',
  staging: 'yellow',
  production: 'red',
};

export function EnvironmentTierBadge({ tier }: { tier: EnvironmentTier }) {
  return (
    <Badge color={ENV_TIER_COLORS[tier] ?? 'gray'} variant="light">
      {ENV_TIER_LABELS[tier] ?? tier}
    </Badge>
  );
}

export function ChangeControlled({ value }: { value: boolean }) {
  return value ? (
    <Group gap={4} wrap="nowrap">
      <IconShieldCheck size={16} color="var(--mantine-color-indigo-6)" aria-hidden />
      <Text size="sm">Change-controlled</Text>
    </Group>
  ) : (
    <Group gap={4} wrap="nowrap">
      <IconShieldOff size={16} color="var(--mantine-color-dimmed)" aria-hidden />
      <Text size="sm" c="dimmed">
        Not controlled
      </Text>
    </Group>
  );
}
