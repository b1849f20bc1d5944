import { Badge, Drawer, Group, Stack, Table, Text, Title } from '@mantine/core';
import type { CalendarItem } from '../../api/types';
import { AnchorLink } from '../../components/AnchorLink';
import { viewerTimeZone, zoneName } from '../../lib/format';
import { itemColor, KIND_LABELS, RELEASE_TYPE_COLORS, statusColor, statusLabel, typeLabel } from './model';

const when = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** "Mon, Nov 16, 2026, 01:00" + "Europe/Berlin (CET)": the viewer's zone, named. */
function When({ iso }: { iso: string }) {
  const abbrev = zoneName(iso);
  return (
    <>
      {when.format(new Date(iso))}
      <Text span size="xs" c="dimmed">
        {' '}
        {abbrev === viewerTimeZone ? viewerTimeZone : `${viewerTimeZone} (${abbrev})`}
      </Text>
    </>
  );
}

/** Side panel with one calendar item's details; times in the viewer's zone, the zone named. */
export function ItemDrawer({ item, onClose }: { item: CalendarItem | null; onClose: () => void }) {
  return (
    <Drawer
      opened={item !== null}
      onClose={onClose}
      position="right"
      size="md"
      title={item ? <Text fw={600}>{`${KIND_LABELS[item.kind]}: ${item.title}`}</Text> : null}
      data-testid="calendar-drawer"
    >
      {item ? <Details item={item} /> : null}
    </Drawer>
  );
}

function Details({ item }: { item: CalendarItem }) {
  const rows: [string, React.ReactNode][] = [[item.kind === 'gate' ? 'Planned at' : 'Starts', <When iso={item.start} />]];
  if (item.kind !== 'gate') rows.push(['Ends', <When iso={item.end} />]);
  rows.push(['Team', item.team ? `${item.team.name} (${item.team.key})` : <Text span c="dimmed">No owning team</Text>]);
  if (item.kind === 'phase') {
    rows.push([
      'Environments',
      item.environments.length ? (
        <Group gap={4}>
          {item.environments.map((e) => (
            <Badge key={e} variant="outline" color="gray" className="sg-mono" tt="none">
              {e}
            </Badge>
          ))}
        </Group>
      ) : (
        <Text span c="dimmed">
          None bound
        </Text>
      ),
    ]);
  }

  return (
    <Stack gap="md">
      <Group gap="xs">
        <Badge color={itemColor(item)} variant="light">
          {item.kind === 'gate' ? '◆ ' : ''}
          {KIND_LABELS[item.kind]}
        </Badge>
        <Badge color={statusColor(item)} variant="dot">
          {statusLabel(item.status)}
        </Badge>
      </Group>

      <Table variant="vertical" layout="fixed" withTableBorder={false}>
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={120}>{label}</Table.Th>
              <Table.Td>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      <Stack gap={6}>
        <Title order={3} fz="sm">
          Release
        </Title>
        <Text size="sm">
          <Text span className="sg-mono" fw={600}>
            {item.release.key}
          </Text>{' '}
          {item.release.name}
        </Text>
        <Group gap="xs">
          <Badge color={RELEASE_TYPE_COLORS[item.release.type] ?? 'blue'} variant="light">
            {typeLabel(item.release.type)}
          </Badge>
          <Badge color={statusColor({ kind: 'release', status: item.release.status })} variant="dot">
            {statusLabel(item.release.status)}
          </Badge>
        </Group>
        <AnchorLink to="/releases/$key" params={{ key: item.release.key }} size="sm">
          Open the release page
        </AnchorLink>
      </Stack>
    </Stack>
  );
}
