import { useState } from 'react';
import { Badge, Button, Code, Group, Modal, ScrollArea, Table, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { IconArchive, IconCircleCheck, IconPencil } from '@tabler/icons-react';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { TablePanel } from '../../components/ListPageStates';
import { PermissionButton } from '../../components/PermissionButton';
import { useConfirmedAction } from '../../components/useConfirmedAction';
import { formatDateTime, formatRelative } from '../../lib/format';
import { hasPermission, useCurrentUser } from '../auth/session';
import { policiesApi, policyKeys, type PolicyStatus, type PolicyVersion } from './api';

const STATUS = {
  draft: { label: 'Draft', color: 'gray', Icon: IconPencil },
  active: { label: 'Active', color: 'green', Icon: IconCircleCheck },
  retired: { label: 'Retired', color: 'dark', Icon: IconArchive },
} as const;

export function StatusBadge({ status }: { status: PolicyStatus }) {
  const { label, color, Icon } = STATUS[status];
  return (
    <Badge color={color} variant="light" leftSection={<Icon size={12} aria-hidden />}>
      {label}
    </Badge>
  );
}

/** Author names need user:read; without it the id is all there is. */
function useAuthorName() {
  const me = useCurrentUser();
  const canList = hasPermission(me, 'user:read');
  const users = useQuery({ queryKey: policyKeys.users, queryFn: ({ signal }) => policiesApi.users(signal), enabled: canList, staleTime: 300_000 });
  return (id: string | null) => {
    if (id === null) return 'Shipgate (installed)';
    if (id === me.id) return `${me.name} (you)`;
    return users.data?.items.find((u) => u.id === id)?.name ?? `user ${id.slice(-8)}`;
  };
}

export function VersionsPanel({
  profileKey,
  versions,
  onEdit,
}: {
  profileKey: string;
  versions: PolicyVersion[];
  onEdit: (version: PolicyVersion) => void;
}) {
  const queryClient = useQueryClient();
  const author = useAuthorName();
  const [viewing, setViewing] = useState<PolicyVersion | null>(null);
  const activate = useConfirmedAction({
    action: (v: PolicyVersion) => policiesApi.activate(profileKey, v.version),
    onSuccess: (v) => {
      void queryClient.invalidateQueries({ queryKey: policyKeys.all });
      notifications.show({ color: 'green', title: `Version ${v.version} is active`, message: 'New changes on this profile’s services are decided by it.' });
    },
  });
  const newestFirst = [...versions].reverse();

  if (!versions.length) {
    return (
      <Text size="sm" c="dimmed">
        This profile has no policy yet. Write one in “Edit policy”, validate it, and save it.
      </Text>
    );
  }

  return (
    <>
      <Text size="sm" c="dimmed" mb="sm">
        Every saved version is kept. Only the active version decides new changes; a draft can be backtested before you
        activate it, and an older version can be made active again.
      </Text>
      <TablePanel minWidth={720}>
        <Table aria-label="Policy versions" data-testid="versions-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={90}>Version</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Format</Table.Th>
              <Table.Th>Author</Table.Th>
              <Table.Th>Saved</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {newestFirst.map((v) => (
              <Table.Tr key={v.version} data-testid={`version-row-${v.version}`}>
                <Table.Td fw={600}>{v.version}</Table.Td>
                <Table.Td>
                  <StatusBadge status={v.status} />
                </Table.Td>
                <Table.Td>{v.format.toUpperCase()}</Table.Td>
                <Table.Td>
                  <Text size="sm">{author(v.createdBy)}</Text>
                </Table.Td>
                <Table.Td>
                  <Tooltip label={formatDateTime(v.createdAt)}>
                    <Text size="sm" c="dimmed" w="fit-content">
                      {formatRelative(v.createdAt)}
                    </Text>
                  </Tooltip>
                </Table.Td>
                <Table.Td className="sg-table-row-actions">
                  <Group gap={6} justify="flex-end" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => setViewing(v)}>
                      View source
                    </Button>
                    <Button size="xs" variant="default" onClick={() => onEdit(v)}>
                      Edit a copy
                    </Button>
                    {v.status !== 'active' ? (
                      <PermissionButton size="xs" permission="policy:write" onClick={() => activate.ask(v)}>
                        Activate
                      </PermissionButton>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TablePanel>

      <Modal opened={viewing !== null} onClose={() => setViewing(null)} size="xl" title={<Text fw={600}>Version {viewing?.version} ({viewing?.format.toUpperCase()})</Text>}>
        <ScrollArea.Autosize mah="70vh">
          <Code block data-testid="version-source">
            {viewing?.source}
          </Code>
        </ScrollArea.Autosize>
      </Modal>

      <ConfirmDialog
        {...activate.dialogProps}
        danger={false}
        title={`Activate version ${activate.target?.version ?? ''}?`}
        confirmLabel="Activate"
      >
        <Text size="sm">
          From now on, changes on the services with this profile are decided by version {activate.target?.version}. The
          currently active version is retired (it stays in the history and can be activated again).
        </Text>
      </ConfirmDialog>
    </>
  );
}
