import { Badge, Box, Group, Stack, Text, Tooltip } from '@mantine/core';
import type { Release } from '../../api/types';
import { formatDay, GATE_STATUS_LABELS } from './model';

const DAY = 86_400_000;
const GATE_COLORS: Record<string, string> = { pending: 'yellow', passed: 'green', failed: 'red', waived: 'gray' };

/** Phases as bars on a shared date axis (planned dates), their environments named, gates as diamonds, today marked. */
export function PhaseTimeline({ release }: { release: Release }) {
  const times: number[] = [];
  const push = (iso: string | null) => {
    if (iso) times.push(new Date(iso).getTime());
  };
  push(release.plannedStart);
  push(release.plannedEnd);
  for (const p of release.phases) {
    push(p.plannedStart);
    push(p.plannedEnd);
  }
  for (const g of release.gates) push(g.plannedAt);

  if (release.phases.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No phases yet. Releases made from a template get the template&apos;s phases; phases can also be added through the API.
      </Text>
    );
  }
  if (times.length < 2) {
    return (
      <Stack gap={4}>
        {release.phases.map((p) => (
          <Text key={p.id} size="sm">
            {p.position}. {p.name} — not scheduled
          </Text>
        ))}
      </Stack>
    );
  }
  const min = Math.min(...times) - DAY / 2;
  const max = Math.max(...times) + DAY / 2;
  const span = Math.max(max - min, DAY);
  const pct = (t: number) => `${(((t - min) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `${Math.max(((b - a) / span) * 100, 0.8).toFixed(3)}%`;
  const now = Date.now();
  const showToday = now >= min && now <= max;
  const LABEL_W = 220;

  // Axis ticks: about six evenly spaced dates.
  const ticks = Array.from({ length: 6 }, (_, i) => min + (span * i) / 5);

  return (
    <Box data-testid="phase-timeline">
      <Group gap={0} wrap="nowrap" align="stretch">
        <Box w={LABEL_W} miw={LABEL_W} />
        <Box pos="relative" h={18} style={{ flex: 1 }} aria-hidden>
          {ticks.map((t, i) => (
            <Text
              key={t}
              size="10px"
              c="dimmed"
              pos="absolute"
              style={{ left: pct(t), transform: i === 0 ? 'none' : i === ticks.length - 1 ? 'translateX(-100%)' : 'translateX(-50%)', whiteSpace: 'nowrap' }}
            >
              {formatDay(new Date(t).toISOString())}
            </Text>
          ))}
        </Box>
      </Group>
      {/* the list holds the rows only: the axis above is decoration, the legend below is not a phase */}
      <Box role="list" aria-label="Phases timeline">
        {release.phases.map((p) => {
          const start = p.plannedStart ? new Date(p.plannedStart).getTime() : null;
          const end = p.plannedEnd ? new Date(p.plannedEnd).getTime() : null;
          const gates = release.gates.filter((g) => g.afterPhase === p.key || g.afterPhase === p.id);
          const state = p.actualEnd ? 'done' : p.actualStart || (start !== null && end !== null && start <= now && now <= end) ? 'active' : 'planned';
          const label = `Phase ${p.name}: ${formatDay(p.plannedStart)} to ${formatDay(p.plannedEnd)}${p.environments.length ? `, in ${p.environments.map((e) => e.name).join(', ')}` : ''}`;
          return (
            <Group key={p.id} gap={0} wrap="nowrap" align="center" role="listitem" aria-label={label} mih={34} style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
              <Box w={LABEL_W} miw={LABEL_W} pr="xs" py={4}>
                <Text size="sm" fw={500} lineClamp={1}>
                  {p.position}. {p.name}
                </Text>
                <Group gap={4}>
                  {p.environments.length ? (
                    p.environments.map((e) => (
                      <Badge key={e.id} size="xs" variant="outline" color="gray" tt="none" className="sg-mono">
                        {e.key}
                      </Badge>
                    ))
                  ) : (
                    <Text size="xs" c="dimmed">
                      no environment
                    </Text>
                  )}
                </Group>
              </Box>
              <Box pos="relative" h={34} style={{ flex: 1 }}>
                {showToday ? <Box pos="absolute" top={0} bottom={0} w={1} bg="red.5" style={{ left: pct(now) }} aria-hidden /> : null}
                {start !== null && end !== null ? (
                  <Tooltip label={`${formatDay(p.plannedStart)} → ${formatDay(p.plannedEnd)} · ${state}`}>
                    <Box
                      pos="absolute"
                      top={8}
                      h={18}
                      bg={state === 'done' ? 'green.5' : state === 'active' ? 'orange.5' : 'indigo.4'}
                      style={{ left: pct(start), width: width(start, end), borderRadius: 4, overflow: 'hidden' }}
                      px={6}
                    >
                      <Text size="10px" c="black" fw={600} lh="18px" style={{ whiteSpace: 'nowrap' }}>
                        {p.name}
                      </Text>
                    </Box>
                  </Tooltip>
                ) : (
                  <Text size="xs" c="dimmed" pt={8}>
                    Not scheduled
                  </Text>
                )}
                {gates.map((g) =>
                  g.plannedAt ? (
                    <Tooltip key={g.id} label={`Gate ${g.name} · ${GATE_STATUS_LABELS[g.status]} · ${formatDay(g.plannedAt)}`}>
                      <Box
                        pos="absolute"
                        top={10}
                        w={14}
                        h={14}
                        bg={`${GATE_COLORS[g.status] ?? 'gray'}.6`}
                        role="img"
                        aria-label={`Gate ${g.name}, ${GATE_STATUS_LABELS[g.status]}`}
                        style={{ left: pct(new Date(g.plannedAt).getTime()), transform: 'translateX(-50%) rotate(45deg)', border: '2px solid white' }}
                      />
                    </Tooltip>
                  ) : null,
                )}
              </Box>
            </Group>
          );
        })}
        {release.gates.some((g) => !g.afterPhase && g.plannedAt) ? (
          <Group gap={0} wrap="nowrap" align="center" mih={30} role="listitem" aria-label="Entry gates" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
            <Box w={LABEL_W} miw={LABEL_W} pr="xs">
              <Text size="sm" c="dimmed">
                Entry gates
              </Text>
            </Box>
            <Box pos="relative" h={30} style={{ flex: 1 }}>
              {release.gates
                .filter((g) => !g.afterPhase && g.plannedAt)
                .map((g) => (
                  <Tooltip key={g.id} label={`Gate ${g.name} · ${GATE_STATUS_LABELS[g.status]} · ${formatDay(g.plannedAt)}`}>
                    <Box
                      pos="absolute"
                      top={8}
                      w={14}
                      h={14}
                      bg={`${GATE_COLORS[g.status] ?? 'gray'}.6`}
                      role="img"
                      aria-label={`Gate ${g.name}, ${GATE_STATUS_LABELS[g.status]}`}
                      style={{ left: pct(new Date(g.plannedAt!).getTime()), transform: 'translateX(-50%) rotate(45deg)', border: '2px solid white' }}
                    />
                  </Tooltip>
                ))}
            </Box>
          </Group>
        ) : null}
      </Box>
      <Group gap="md" mt={6}>
        <Legend color="indigo.4" label="Planned" />
        <Legend color="orange.5" label="Active" />
        <Legend color="green.5" label="Done" />
        <Group gap={4}>
          <Box w={10} h={10} bg="yellow.6" style={{ transform: 'rotate(45deg)' }} aria-hidden />
          <Text size="xs" c="dimmed">
            Gate (colour = status)
          </Text>
        </Group>
        {showToday ? <Legend color="red.5" label="Today" thin /> : null}
      </Group>
    </Box>
  );
}

function Legend({ color, label, thin }: { color: string; label: string; thin?: boolean }) {
  return (
    <Group gap={4}>
      <Box w={thin ? 2 : 14} h={10} bg={color} style={{ borderRadius: 2 }} aria-hidden />
      <Text size="xs" c="dimmed">
        {label}
      </Text>
    </Group>
  );
}
