import { useState } from 'react';
import { Anchor, Badge, Group, Stack, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { IconChevronLeft } from '@tabler/icons-react';
import { ErrorState } from '../../components/ErrorState';
import { TableSkeleton } from '../../components/TableSkeleton';
import { policiesApi, policyKeys, type GovernanceProfile, type PolicyFormat } from './api';
import { BacktestPanel } from './BacktestPanel';
import { EvaluatePanel } from './EvaluatePanel';
import { PolicyEditor } from './PolicyEditor';
import { VersionsPanel } from './VersionsPanel';

const ROUTE = '/authed/policies/$key';

/** What the editor starts from: a version the user picked, or (null) the active one. */
export interface EditorSeed {
  format: PolicyFormat;
  source: string;
  from: number | null;
}

// A profile without any policy yet: the smallest valid document, with a hint.
const STARTER: EditorSeed = {
  format: 'yaml',
  source: '# Rules are checked in order; the first that fires decides each part of the outcome.\n# `defaults` decides what no rule did.\nrules: []\n',
  from: null,
};

export function ProfilePage() {
  const { key } = useParams({ from: ROUTE });
  const profile = useQuery({ queryKey: policyKeys.profile(key), queryFn: ({ signal }) => policiesApi.profile(key, signal) });
  const versions = useQuery({ queryKey: policyKeys.versions(key), queryFn: ({ signal }) => policiesApi.versions(key, signal) });
  const [tab, setTab] = useState<string | null>('versions');
  const [seed, setSeed] = useState<EditorSeed | null>(null);

  if (profile.isPending || versions.isPending) return <TableSkeleton rows={6} label="Loading governance profile" />;
  if (profile.isError || versions.isError) {
    const retry = () => void Promise.all([profile.refetch(), versions.refetch()]);
    return <ErrorState error={profile.error ?? versions.error} title="Could not load this governance profile" onRetry={retry} />;
  }
  const p = profile.data;
  const active = p.policy;
  const editorSeed = seed ?? (active ? { format: active.format, source: active.source, from: active.version } : STARTER);

  return (
    <Stack gap="md">
      <ProfileHeader profile={p} />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="versions">Versions ({versions.data.items.length})</Tabs.Tab>
          <Tabs.Tab value="editor">Edit policy</Tabs.Tab>
          <Tabs.Tab value="backtest">Backtest</Tabs.Tab>
          <Tabs.Tab value="evaluate">Evaluate</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="versions" pt="md">
          <VersionsPanel
            profileKey={key}
            versions={versions.data.items}
            onEdit={(v) => {
              setSeed({ format: v.format, source: v.source, from: v.version });
              setTab('editor');
            }}
          />
        </Tabs.Panel>
        <Tabs.Panel value="editor" pt="md">
          <PolicyEditor key={`${editorSeed.from}-${editorSeed.format}`} profileKey={key} seed={editorSeed} onSaved={() => setSeed(null)} />
        </Tabs.Panel>
        <Tabs.Panel value="backtest" pt="md">
          <BacktestPanel profileKey={key} versions={versions.data.items} />
        </Tabs.Panel>
        <Tabs.Panel value="evaluate" pt="md">
          <EvaluatePanel profileKey={key} versions={versions.data.items} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function ProfileHeader({ profile: p }: { profile: GovernanceProfile }) {
  return (
    <Stack gap={4}>
      <Anchor component={Link} to="/policies" size="xs" w="fit-content">
        <Group gap={2}>
          <IconChevronLeft size={12} aria-hidden />
          Policies
        </Group>
      </Anchor>
      <Group gap="sm" align="baseline">
        <Title order={1} fz="h3">
          {p.name}
        </Title>
        <Text className="sg-mono" c="dimmed">
          {p.key}
        </Text>
        {p.currentVersion === null ? (
          <Badge color="orange" variant="light">
            No active policy
          </Badge>
        ) : (
          <Badge color="green" variant="light" data-testid="active-version">
            Active: version {p.currentVersion}
          </Badge>
        )}
      </Group>
      {p.description ? (
        <Text size="sm" c="dimmed">
          {p.description}
        </Text>
      ) : null}
      <Group gap={6} data-testid="profile-services">
        <Text size="sm">Services with this profile:</Text>
        {p.services.length ? (
          p.services.map((s) => (
            <Badge key={s} variant="outline" color="gray" tt="none" className="sg-mono">
              {s}
            </Badge>
          ))
        ) : (
          <Text size="sm" c="dimmed">
            none yet — set the profile on a service in the catalog.
          </Text>
        )}
      </Group>
    </Stack>
  );
}
