import { useState } from 'react';
import { Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { IconPlus, IconUsersGroup } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { PermissionButton } from '../../components/PermissionButton';
import { ZoneNote } from '../changes/model';
import { cabApi, cabKeys } from './api';
import { CabBoardFormModal } from './CabBoardFormModal';
import { boardLocalTime, formatDuration, formatMeetingStart } from './model';

export function CabBoardsPage() {
  const boards = useQuery({ queryKey: cabKeys.list, queryFn: ({ signal }) => cabApi.list(signal) });
  const [createOpen, setCreateOpen] = useState(false);
  const items = boards.data?.items ?? [];
  const createButton = (label: string) => (
    <PermissionButton permission="cab:write" leftSection={<IconPlus size={14} />} onClick={() => setCreateOpen(true)}>
      {label}
    </PermissionButton>
  );

  return (
    <>
      <PageHeader
        title="Change advisory boards"
        description="What must the board decide at its next meeting? Open a board to see its agenda and decide on several changes at once."
        actions={createButton('New board')}
      />
      <ListPageStates
        query={boards}
        skeletonRows={3}
        loadingLabel="Loading boards"
        errorTitle="Could not load the boards"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconUsersGroup size={28} />}
            title="No advisory boards yet"
            description="A board is an approver group that meets on a schedule: changes in Authorize that need the group appear on its agenda."
            action={createButton('Create a board')}
          />
        }
      >
        <>
          <ZoneNote />
          <TablePanel minWidth={800}>
            <Table highlightOnHover aria-label="Advisory boards" data-testid="cab-boards">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Board</Table.Th>
                  <Table.Th>Members</Table.Th>
                  <Table.Th>Schedule</Table.Th>
                  <Table.Th>Next meeting</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((b) => {
                  const next = b.nextMeetings[0];
                  return (
                    <Table.Tr key={b.id} data-testid={`cab-board-${b.key}`}>
                      <Table.Td>
                        <AnchorLink to="/cab/$key" params={{ key: b.key }} fw={500} size="sm">
                          {b.name}
                        </AnchorLink>
                        <Text size="xs" c="dimmed" className="sg-mono">
                          {b.key}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{b.group.name}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" className="sg-mono">
                          {b.rrule}
                        </Text>
                        <Text size="xs" c="dimmed">
                          {formatDuration(b.durationMinutes)} each, {b.timeZone}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        {next ? (
                          <>
                            <Text size="sm">{formatMeetingStart(next)}</Text>
                            <Text size="xs" c="dimmed">
                              {boardLocalTime(next, b.timeZone)}
                            </Text>
                          </>
                        ) : (
                          <Text size="sm" c="dimmed">
                            No more meetings
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </TablePanel>
        </>
      </ListPageStates>
      <CabBoardFormModal opened={createOpen} onClose={() => setCreateOpen(false)} />
    </>
  );
}
