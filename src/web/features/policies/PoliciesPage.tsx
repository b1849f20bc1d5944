import { useState } from 'react';
import { Badge, Group, Table, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { IconPlus, IconShieldHalf } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { formatDateTime, formatRelative } from '../../lib/format';
import { policiesApi, policyKeys, type GovernanceProfile } from './api';
import { CreateProfileModal } from './CreateProfileModal';

export function PoliciesPage() {
  const [creating, setCreating] = useState(false);
  const list = useQuery({ queryKey: policyKeys.list, queryFn: ({ signal }) => policiesApi.profiles(signal) });
  const items = list.data?.items ?? [];

  const newButton = (
    <PermissionButton permission="policy:write" leftSection={<IconPlus size={14} />} onClick={() => setCreating(true)}>
      New profile
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="Policies"
        description="A governance profile decides, for each change on its services, whether it is auto-approved, needs approvals or is blocked. Each service follows one profile; every edit of a policy is kept as a version."
        actions={newButton}
      />
      <ListPageStates
        query={list}
        skeletonRows={3}
        loadingLabel="Loading governance profiles"
        errorTitle="Could not load governance profiles"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconShieldHalf size={28} />}
            title="No governance profiles yet"
            description="Create a profile, write its policy, then give services that profile in the catalog."
            action={newButton}
          />
        }
      >
        <TablePanel minWidth={720}>
          <Table highlightOnHover aria-label="Governance profiles" data-testid="profiles-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Profile</Table.Th>
                <Table.Th>Active policy</Table.Th>
                <Table.Th>Services</Table.Th>
                <Table.Th>Updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => (
                <ProfileRow key={p.id} profile={p} />
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
      </ListPageStates>
      <CreateProfileModal opened={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function ProfileRow({ profile: p }: { profile: GovernanceProfile }) {
  const pendingDraft = p.latestVersion !== null && p.latestVersion !== p.currentVersion;
  return (
    <Table.Tr data-testid={`profile-row-${p.key}`}>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <AnchorLink to="/policies/$key" params={{ key: p.key }} fw={600} size="sm">
            {p.name}
          </AnchorLink>
          <Text className="sg-mono" c="dimmed">
            {p.key}
          </Text>
        </Group>
        {p.description ? (
          <Text size="xs" c="dimmed" lineClamp={2}>
            {p.description}
          </Text>
        ) : null}
      </Table.Td>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          {p.currentVersion === null ? (
            <Badge color="orange" variant="light">
              No active policy
            </Badge>
          ) : (
            <Badge color="green" variant="light">
              Version {p.currentVersion} ({p.policy?.format.toUpperCase()})
            </Badge>
          )}
          {pendingDraft ? (
            <Badge color="gray" variant="outline">
              Version {p.latestVersion} not active
            </Badge>
          ) : null}
        </Group>
      </Table.Td>
      <Table.Td>
        <Tooltip label={p.services.join(', ') || 'No service uses this profile'} multiline maw={320}>
          <Text size="sm" data-testid="profile-services" tabIndex={0} w="fit-content">
            {p.services.length} {p.services.length === 1 ? 'service' : 'services'}
          </Text>
        </Tooltip>
      </Table.Td>
      <Table.Td>
        <Tooltip label={formatDateTime(p.updatedAt)}>
          <Text size="sm" c="dimmed" w="fit-content">
            {formatRelative(p.updatedAt)}
          </Text>
        </Tooltip>
      </Table.Td>
    </Table.Tr>
  );
}
