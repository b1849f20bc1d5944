import { Table, Text } from '@mantine/core';
import { IconUsersGroup } from '@tabler/icons-react';
import { EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { useCurrentUser } from '../auth/session';
import { useTeams } from './useTeams';

export function TeamsPage() {
  const teams = useTeams();
  const user = useCurrentUser();
  const mine = new Set(user.teams.map((t) => t.id));
  const items = [...(teams.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <>
      <PageHeader
        title="Teams"
        description="Who owns what: teams own services and are accountable for their changes."
      />
      <ListPageStates
        query={teams}
        skeletonRows={4}
        loadingLabel="Loading teams"
        errorTitle="Could not load teams"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconUsersGroup size={28} />}
            title="No teams yet"
            description="Teams are managed by a Shipgate administrator (for example with the shipgate CLI or your identity provider). Once they exist, assign them as service owners."
          />
        }
      >
        <TablePanel minWidth={600}>
          <Table highlightOnHover aria-label="Teams" data-testid="teams-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Key</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th ta="right">Members</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((team) => (
                <Table.Tr key={team.id}>
                  <Table.Td>
                    <Text className="sg-mono" fw={500}>
                      {team.key}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {team.name}
                      {mine.has(team.id) ? (
                        <Text span size="xs" c="dimmed" ml={6}>
                          (your team)
                        </Text>
                      ) : null}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c={team.description ? undefined : 'dimmed'} lineClamp={2}>
                      {team.description || '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <Text size="sm">{team.memberCount ?? '—'}</Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TablePanel>
      </ListPageStates>
    </>
  );
}
