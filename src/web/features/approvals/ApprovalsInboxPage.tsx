import { Badge, Table, Text } from '@mantine/core';
import { IconClipboardCheck } from '@tabler/icons-react';
import { AnchorLink } from '../../components/AnchorLink';
import { CursorLoadMore, EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { useCursorList } from '../../components/useCursorList';
import { useCurrentUser } from '../auth/session';
import { changeKeys, ChangeTypeBadge, formatChangeWindow, formatMoment, RiskBadge, ZoneNote } from '../changes/model';
import { approvalsApi, type InboxItem, type InboxRequirement } from './api';

const PAGE_SIZE = 50;

export function ApprovalsInboxPage() {
  const me = useCurrentUser();
  const { list, items } = useCursorList({
    queryKey: [...changeKeys.inbox, me.id],
    fetchPage: (cursor, signal) => approvalsApi.inbox({ limit: PAGE_SIZE, cursor }, signal),
  });
  return (
    <>
      <PageHeader
        title="Approvals"
        description="What must I decide? Changes in Authorize where you may still approve, the earliest due and riskiest first."
      />
      <ListPageStates
        query={list}
        loadingLabel="Loading your approvals"
        errorTitle="Could not load your approvals"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconClipboardCheck size={28} />}
            title="Nothing waits for you"
            description="Changes appear here when they enter Authorize and one of your approver groups must decide, or a member who delegated to you."
          />
        }
      >
        <>
          <ZoneNote />
          <TablePanel minWidth={900}>
            <Table highlightOnHover aria-label="Changes awaiting my decision" data-testid="inbox-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Change</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Risk</Table.Th>
                  <Table.Th>For</Table.Th>
                  <Table.Th>Progress</Table.Th>
                  <Table.Th>Due</Table.Th>
                  <Table.Th>Planned window</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item) => (
                  <InboxRow key={item.change.id} item={item} />
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
          <CursorLoadMore list={list} shown={items.length} noun="change" nounPlural="changes" />
        </>
      </ListPageStates>
    </>
  );
}

function InboxRow({ item: { change: c, requirements, dueAt } }: { item: InboxItem }) {
  return (
    <Table.Tr data-testid={`inbox-row-${c.number}`}>
      <Table.Td>
        <AnchorLink to="/changes/$number" params={{ number: c.number }} className="sg-mono" fw={500} size="sm">
          {c.number}
        </AnchorLink>
        <Text size="sm">{c.title}</Text>
      </Table.Td>
      <Table.Td>
        <ChangeTypeBadge type={c.type} />
      </Table.Td>
      <Table.Td>
        <RiskBadge level={c.riskLevel} />
      </Table.Td>
      <Table.Td>
        {requirements.map((r) => (
          <ForGroup key={r.group.id} requirement={r} />
        ))}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{requirements.map((r) => `${r.approvals}/${r.needed}`).join(' · ')}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatMoment(dueAt)}</Text>
        {requirements.some((r) => r.overdue) ? (
          <Badge miw="max-content" color="red" variant="light" size="sm">
            Overdue
          </Badge>
        ) : null}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatChangeWindow(c.plannedStart, c.plannedEnd)}</Text>
      </Table.Td>
    </Table.Tr>
  );
}

function ForGroup({ requirement: r }: { requirement: InboxRequirement }) {
  return (
    <>
      <Text size="sm">{r.group.name}</Text>
      {r.onBehalfOf ? (
        <Text size="xs" c="dimmed" data-testid="inbox-on-behalf-of">
          on behalf of {r.onBehalfOf.name}
        </Text>
      ) : null}
    </>
  );
}
