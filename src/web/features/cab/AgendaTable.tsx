import { Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { IconCircleCheck } from '@tabler/icons-react';
import { useCurrentUser } from '../auth/session';
import { AnchorLink } from '../../components/AnchorLink';
import { TablePanel } from '../../components/ListPageStates';
import { ChangeTypeBadge, formatMoment, RiskBadge } from '../changes/model';
import type { AgendaItem, AgendaNeed } from './api';

interface AgendaTableProps {
  items: AgendaItem[];
  /** the board's approver group: its requirement is what the meeting decides */
  groupId: string;
  selected: Set<string>;
  onSelect: (numbers: string[], on: boolean) => void;
}

export function AgendaTable({ items, groupId, selected, onSelect }: AgendaTableProps) {
  const all = items.map((i) => i.change.number);
  const chosen = all.filter((n) => selected.has(n)).length;
  return (
    <TablePanel minWidth={1100}>
      <Table highlightOnHover aria-label="Agenda" data-testid="agenda-table" verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>
              <Checkbox
                aria-label="Select all changes on the agenda"
                checked={chosen > 0 && chosen === all.length}
                indeterminate={chosen > 0 && chosen < all.length}
                onChange={(e) => onSelect(all, e.currentTarget.checked)}
              />
            </Table.Th>
            <Table.Th>Change</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Risk</Table.Th>
            <Table.Th>Planned start</Table.Th>
            <Table.Th>Planned end</Table.Th>
            <Table.Th>Approvals</Table.Th>
            <Table.Th>May still approve</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => (
            <AgendaRow key={item.change.id} item={item} groupId={groupId} checked={selected.has(item.change.number)} onCheck={(on) => onSelect([item.change.number], on)} />
          ))}
        </Table.Tbody>
      </Table>
    </TablePanel>
  );
}

function AgendaRow({ item, groupId, checked, onCheck }: { item: AgendaItem; groupId: string; checked: boolean; onCheck: (on: boolean) => void }) {
  const c = item.change;
  return (
    <Table.Tr data-testid={`agenda-row-${c.number}`} bg={checked ? 'var(--mantine-primary-color-light)' : undefined}>
      <Table.Td>
        <Checkbox aria-label={`Select ${c.number}`} checked={checked} onChange={(e) => onCheck(e.currentTarget.checked)} />
      </Table.Td>
      <Table.Td>
        <AnchorLink to="/changes/$number" params={{ number: c.number }} className="sg-mono" fw={500} size="sm">
          {c.number}
        </AnchorLink>
        <Text size="sm">{c.title}</Text>
        {c.requestedBy ? (
          <Text size="xs" c="dimmed">
            Requested by {c.requestedBy.name}
          </Text>
        ) : null}
      </Table.Td>
      <Table.Td>
        <ChangeTypeBadge type={c.type} />
      </Table.Td>
      <Table.Td>
        <RiskBadge level={c.riskLevel} />
      </Table.Td>
      <Table.Td>
        <Text size="sm">{c.plannedStart ? formatMoment(c.plannedStart) : 'Not planned'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{formatMoment(c.plannedEnd)}</Text>
      </Table.Td>
      <Table.Td>
        <Progress needs={item.needs} />
      </Table.Td>
      <Table.Td>
        <MayStillApprove need={item.needs.find((n) => n.group.id === groupId)} />
      </Table.Td>
    </Table.Tr>
  );
}

function Progress({ needs }: { needs: AgendaItem['needs'] }) {
  return (
    <Stack gap={2} data-testid="agenda-progress">
      {needs.map((n) => (
        <Group key={n.group.id} gap={4} wrap="nowrap">
          {n.met ? <IconCircleCheck size={14} color="var(--mantine-color-green-7)" aria-hidden /> : null}
          <Text size="sm" fw={500} style={{ whiteSpace: 'nowrap' }}>
            {n.approvals} of {n.needed}
            {n.met ? ' (met)' : ''}
          </Text>
          <Text size="xs" c="dimmed">
            {n.group.name}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

const EXCLUDED_BECAUSE: Record<string, string> = {
  requester: 'you requested it',
  assignee: 'you are assigned to it',
  commit_author: 'you authored its commits',
};

function MayStillApprove({ need }: { need: AgendaNeed | undefined }) {
  const me = useCurrentUser();
  if (!need || need.met) return <Text size="sm" c="dimmed">No one needed</Text>;
  const names = need.mayApprove.map((p) => p.name);
  const meExcluded = need.excluded.find((p) => p.id === me.id);
  return (
    <>
      <Text size="sm" data-testid="agenda-may-approve">
        {names.length ? names.join(', ') : 'No eligible member left'}
      </Text>
      {meExcluded ? (
        <Text size="xs" c="dimmed" fw={500}>
          Not you: {meExcluded.reasons.map((r) => EXCLUDED_BECAUSE[r] ?? r).join(', ')}
        </Text>
      ) : null}
    </>
  );
}
