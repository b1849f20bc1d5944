import { Badge, Drawer, Group, Stack, Table, Text } from '@mantine/core';
import { IconHistory } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { CursorLoadMore, EmptyStatePanel, ListPageStates } from '../../components/ListPageStates';
import { useCursorList } from '../../components/useCursorList';
import { formatDateTime, formatRelative, zoneName } from '../../lib/format';
import { DeploymentStatusBadge } from '../deployments/model';
import { inventoryApi, inventoryKeys } from './api';

export interface HistoryTarget {
  service: { key: string; name: string };
  environment: { key: string; name: string };
}

/** The versions that ran on one (service, environment), newest first. */
export function HistoryDrawer({ target, onClose }: { target: HistoryTarget | null; onClose: () => void }) {
  return (
    <Drawer
      opened={target !== null}
      onClose={onClose}
      position="right"
      size="xl"
      title={
        target ? (
          <Text fw={600} component="span">
            {target.service.name} in {target.environment.name}
          </Text>
        ) : null
      }
      data-testid="history-drawer"
    >
      {target ? <History target={target} /> : null}
    </Drawer>
  );
}

function History({ target }: { target: HistoryTarget }) {
  const service = target.service.key;
  const environment = target.environment.key;
  const { list, items } = useCursorList({
    queryKey: inventoryKeys.history(service, environment),
    fetchPage: (cursor, signal) => inventoryApi.history({ service, environment, limit: 50, cursor }, signal),
  });
  return (
    <Stack gap="sm">
      <Text size="sm" c="dimmed">
        The versions that ran here, newest first: each one from its successful deployment until the next one replaced it. Times in
        your zone ({zoneName()}).
      </Text>
      <ListPageStates
        query={list}
        loadingLabel="Loading the history"
        errorTitle="Could not load the history"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconHistory size={28} />}
            title="Nothing has run here yet"
            description={`No successful deployment of ${target.service.name} to ${target.environment.name} has been reported.`}
          />
        }
      >
        <>
          <Table.ScrollContainer minWidth={620}>
            <Table withTableBorder aria-label="Version history" data-testid="history-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Version</Table.Th>
                  <Table.Th>Since</Table.Th>
                  <Table.Th>Until</Table.Th>
                  <Table.Th>Deployment</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((h) => (
                  <Table.Tr key={`${h.deployment.id}-${h.since}`} data-testid="history-row">
                    <Table.Td>
                      <Text span size="sm" className="sg-mono" fw={600}>
                        {h.version}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                        {formatDateTime(h.since)}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {formatRelative(h.since)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {h.until ? (
                        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>{formatDateTime(h.until)}</Text>
                      ) : (
                        <Badge color="green" variant="dot" tt="none">
                          Running now
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <AnchorLink to="/deployments" search={{ deployment: h.deployment.id }} size="sm">
                          Details
                        </AnchorLink>
                        <DeploymentStatusBadge status={h.deployment.status} size="sm" />
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <CursorLoadMore list={list} shown={items.length} noun="version" nounPlural="versions" />
        </>
      </ListPageStates>
    </Stack>
  );
}
