import { Badge, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { IconClipboardCheck } from '@tabler/icons-react';
import { changesApi } from '../../api/endpoints';
import type { Change, ChangeApprovals, RiskLevel } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { EmptyStatePanel, ListPageStates, TablePanel } from '../../components/ListPageStates';
import { PageHeader } from '../../components/PageHeader';
import { useCurrentUser } from '../auth/session';
import { changeKeys, ChangeTypeBadge, formatChangeWindow, formatMoment, RiskBadge, ZoneNote } from '../changes/model';

const RISK_ORDER: Record<RiskLevel, number> = { very_high: 0, high: 1, moderate: 2, low: 3 };
/** the inbox reads this many changes in Authorize; more are left to the change list */
const LIMIT = 100;

interface InboxItem {
  change: Change;
  approvals: ChangeApprovals;
  due: string | null;
  groups: string[];
}

async function loadInbox(userId: string, signal: AbortSignal): Promise<{ items: InboxItem[]; truncated: boolean }> {
  const page = await changesApi.list({ state: 'authorize', limit: LIMIT }, signal);
  const all = await Promise.all(
    page.items.map(async (change) => ({ change, approvals: await changesApi.approvals(change.id, signal) })),
  );
  const items = all.flatMap(({ change, approvals }) => {
    if (!approvals.open) return [];
    const mine = approvals.requirements.filter(
      (r) => !r.met && r.mayApprove.some((p) => p.id === userId || p.delegates.some((d) => d.id === userId)),
    );
    if (!mine.length) return [];
    const due = mine.map((r) => r.dueAt).filter((d): d is string => Boolean(d)).sort()[0] ?? null;
    return [{ change, approvals, due, groups: mine.map((r) => r.group.name) }];
  });
  items.sort(
    (a, b) =>
      (a.due ?? '9999').localeCompare(b.due ?? '9999') ||
      RISK_ORDER[a.change.risk.effectiveLevel ?? 'low'] - RISK_ORDER[b.change.risk.effectiveLevel ?? 'low'],
  );
  return { items, truncated: page.nextCursor !== null };
}

export function ApprovalsInboxPage() {
  const me = useCurrentUser();
  const inbox = useQuery({ queryKey: [...changeKeys.inbox, me.id], queryFn: ({ signal }) => loadInbox(me.id, signal) });
  const items = inbox.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Approvals"
        description="What must I decide? Changes in Authorize where you may still approve, the earliest due and riskiest first."
      />
      <ListPageStates
        query={inbox}
        loadingLabel="Loading your approvals"
        errorTitle="Could not load your approvals"
        isEmpty={items.length === 0}
        empty={
          <EmptyStatePanel
            icon={<IconClipboardCheck size={28} />}
            title="Nothing waits for you"
            description="Changes appear here when they enter Authorize and one of your approver groups must decide."
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
                {items.map(({ change: c, approvals, due, groups }) => (
                  <Table.Tr key={c.id} data-testid={`inbox-row-${c.number}`}>
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
                      <RiskBadge level={c.risk.effectiveLevel} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{groups.join(', ')}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">
                        {approvals.requirements.map((r) => `${r.approvals}/${r.needed}`).join(' · ')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatMoment(due)}</Text>
                      {approvals.requirements.some((r) => r.overdue) ? (
                        <Badge miw="max-content" color="red" variant="light" size="sm">
                          Overdue
                        </Badge>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{formatChangeWindow(c.plannedStart, c.plannedEnd)}</Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TablePanel>
          {inbox.data?.truncated ? (
            <Text size="xs" c="dimmed" mt="xs">
              Only the first {LIMIT} changes in Authorize were checked.
            </Text>
          ) : null}
        </>
      </ListPageStates>
    </>
  );
}
