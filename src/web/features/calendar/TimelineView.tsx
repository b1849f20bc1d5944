import { useEffect, useMemo, useRef } from 'react';
import { Box, Text } from '@mantine/core';
import type { CalendarItem, Environment } from '../../api/types';
import type { CalendarLanes } from '../../routes/search';
import {
  addDays,
  daysBetween,
  itemColor,
  itemDays,
  KIND_LABELS,
  startOfDay,
  statusLabel,
  typeLabel,
  type ViewRange,
} from './model';

const DAY_W = 28;
const LABEL_W = 240;

interface ReleaseGroup {
  release: CalendarItem['release'];
  releaseItem: CalendarItem | null;
  phases: CalendarItem[];
  gates: CalendarItem[];
}

interface Lane {
  key: string;
  label: string;
  groups: ReleaseGroup[];
}

const NONE = '\u0000none';

/** Lanes (per owning team or per environment), each holding its releases with their phases and gates. */
export function buildLanes(items: CalendarItem[], mode: CalendarLanes, environments: Environment[]): Lane[] {
  const lanes = new Map<string, Map<string, ReleaseGroup>>();
  const add = (laneKey: string, item: CalendarItem) => {
    let groups = lanes.get(laneKey);
    if (!groups) lanes.set(laneKey, (groups = new Map()));
    let group = groups.get(item.release.id);
    if (!group) groups.set(item.release.id, (group = { release: item.release, releaseItem: null, phases: [], gates: [] }));
    if (item.kind === 'release') group.releaseItem = item;
    else if (item.kind === 'phase') group.phases.push(item);
    else group.gates.push(item);
  };

  if (mode === 'team') {
    for (const item of items) add(item.team?.key ?? NONE, item);
  } else {
    // phases sit in the lanes of their environments; a release and its gates appear wherever its phases are
    const releaseEnvs = new Map<string, Set<string>>();
    for (const item of items) {
      if (item.kind !== 'phase') continue;
      const envs = item.environments.length ? item.environments : [NONE];
      for (const env of envs) add(env, item);
      const set = releaseEnvs.get(item.release.id) ?? new Set<string>();
      envs.forEach((e) => set.add(e));
      releaseEnvs.set(item.release.id, set);
    }
    for (const item of items) {
      if (item.kind === 'phase') continue;
      for (const env of releaseEnvs.get(item.release.id) ?? [NONE]) add(env, item);
    }
  }

  const teamNames = new Map(items.filter((i) => i.team).map((i) => [i.team!.key, i.team!.name]));
  const envByKey = new Map(environments.map((e) => [e.key, e]));
  const label = (key: string) => {
    if (key === NONE) return mode === 'team' ? 'No owning team' : 'No environment';
    return mode === 'team' ? (teamNames.get(key) ?? key) : (envByKey.get(key)?.name ?? key);
  };
  const rank = (key: string) => (key === NONE ? Number.MAX_SAFE_INTEGER : mode === 'environment' ? (envByKey.get(key)?.order ?? 1e9) : 0);

  return [...lanes.entries()]
    .map(([key, groups]) => ({
      key,
      label: label(key),
      groups: [...groups.values()].sort((a, b) => groupStart(a) - groupStart(b) || a.release.key.localeCompare(b.release.key)),
    }))
    .sort((a, b) => rank(a.key) - rank(b.key) || a.label.localeCompare(b.label));
}

function groupStart(g: ReleaseGroup): number {
  const all = [g.releaseItem, ...g.phases, ...g.gates].filter(Boolean) as CalendarItem[];
  return Math.min(...all.map((i) => new Date(i.start).getTime()));
}

interface TimelineViewProps {
  range: ViewRange;
  items: CalendarItem[];
  lanes: CalendarLanes;
  environments: Environment[];
  onSelect: (item: CalendarItem) => void;
}

const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });
const tickFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** Gantt-like release timeline: lanes, phase bars grouped under their release, gate diamonds, week ticks, today line. */
export function TimelineView({ range, items, lanes: mode, environments, onSelect }: TimelineViewProps) {
  const lanes = useMemo(() => buildLanes(items, mode, environments), [items, mode, environments]);
  const days = daysBetween(range.start, range.end);
  const width = days * DAY_W;
  const scroller = useRef<HTMLDivElement>(null);

  const today = startOfDay(new Date());
  const todayIndex = daysBetween(range.start, today);
  const todayX = todayIndex >= 0 && todayIndex < days ? todayIndex * DAY_W + ((Date.now() - today.getTime()) / 86_400_000) * DAY_W : null;

  // bring today into view when the range holds it but the first screen does not show it
  const startMs = range.start.getTime();
  useEffect(() => {
    const el = scroller.current;
    if (!el || todayX === null) return;
    const visible = el.clientWidth - LABEL_W;
    el.scrollLeft = todayX > visible - 4 * DAY_W ? Math.max(0, todayX - visible / 2) : 0;
  }, [startMs]); // eslint-disable-line react-hooks/exhaustive-deps

  const months: { x: number; w: number; label: string }[] = [];
  const weeks: { x: number; label: string }[] = [];
  const weekends: number[] = [];
  for (let i = 0; i < days; i++) {
    const d = addDays(range.start, i);
    if (d.getDate() === 1 || i === 0) months.push({ x: i * DAY_W, w: 0, label: monthFmt.format(d) });
    if (d.getDay() === 1) weeks.push({ x: i * DAY_W, label: tickFmt.format(d) });
    if (d.getDay() === 0 || d.getDay() === 6) weekends.push(i * DAY_W);
  }
  months.forEach((m, i) => (m.w = (months[i + 1]?.x ?? width) - m.x));

  const span = (item: CalendarItem) => {
    const { start, end } = itemDays(item);
    const a = Math.max(0, daysBetween(range.start, start));
    const b = Math.min(days, daysBetween(range.start, end));
    return { x: a * DAY_W, w: Math.max(DAY_W, (b - a) * DAY_W), clippedStart: start < range.start, clippedEnd: end > range.end };
  };

  const describe = (item: CalendarItem) =>
    `${KIND_LABELS[item.kind]} ${item.title}, ${item.release.key} (${typeLabel(item.release.type)}), ${statusLabel(item.status)}`;

  // the name starts with the kind and holds the visible text word for word (WCAG 2.5.3, label in name: speech users
  // say what they see), then what the bar does not show
  const spoken = (item: CalendarItem, visible: string) => `${KIND_LABELS[item.kind]} ${visible}, ${item.release.key} (${typeLabel(item.release.type)})`;

  const bar = (item: CalendarItem, variant: 'release' | 'phase') => {
    const s = span(item);
    const color = itemColor(item);
    const text =
      variant === 'release'
        ? `${item.release.key} · ${item.title} · ${statusLabel(item.status)}`
        : `${item.title} · ${statusLabel(item.status)}${item.environments.length ? ` → ${item.environments.join(', ')}` : ''}`;
    return (
      <button
        type="button"
        key={item.id}
        className={`sg-tl-bar sg-tl-${variant}${item.release.status === 'canceled' ? ' sg-cal-canceled' : ''}`}
        style={{
          left: s.x,
          width: s.w,
          background: variant === 'release' ? `var(--mantine-color-${color}-filled)` : `var(--mantine-color-${color}-light)`,
          color: variant === 'release' ? 'var(--mantine-color-white)' : `var(--mantine-color-${color}-light-color)`,
          borderColor: `var(--mantine-color-${color}-outline)`,
          borderTopLeftRadius: s.clippedStart ? 0 : undefined,
          borderBottomLeftRadius: s.clippedStart ? 0 : undefined,
          borderTopRightRadius: s.clippedEnd ? 0 : undefined,
          borderBottomRightRadius: s.clippedEnd ? 0 : undefined,
        }}
        title={describe(item)}
        aria-label={spoken(item, text)}
        onClick={() => onSelect(item)}
        data-testid={`tl-${item.kind}-${item.id}`}
      >
        {s.clippedStart ? <span aria-hidden>◂ </span> : null}
        {text}
      </button>
    );
  };

  const gate = (item: CalendarItem) => {
    const x = daysBetween(range.start, startOfDay(new Date(item.start))) * DAY_W + DAY_W / 2;
    return (
      <button
        type="button"
        key={item.id}
        className="sg-tl-gate"
        style={{ left: x - 7 }}
        title={describe(item)}
        aria-label={spoken(item, `${item.title} · ${statusLabel(item.status)}`)}
        onClick={() => onSelect(item)}
        data-testid={`tl-gate-${item.id}`}
      >
        <span className="sg-tl-diamond" style={{ background: `var(--mantine-color-${itemColor(item)}-filled)` }} aria-hidden />
        <span className="sg-tl-gate-label">
          {item.title} · {statusLabel(item.status)}
        </span>
      </button>
    );
  };

  return (
    <Box className="sg-tl" ref={scroller} data-testid="calendar-timeline" role="region" aria-label={`Release timeline ${range.title}`} tabIndex={0}>
      <div className="sg-tl-inner" style={{ width: LABEL_W + width }}>
        {/* header: months and week ticks */}
        <div className="sg-tl-row sg-tl-head">
          <div className="sg-tl-label sg-tl-corner" style={{ width: LABEL_W }}>
            <Text size="xs" fw={600} c="dimmed">
              {mode === 'team' ? 'Team / release / phase' : 'Environment / release / phase'}
            </Text>
          </div>
          <div className="sg-tl-track" style={{ width, height: 44 }}>
            {months.map((m) => (
              <div key={m.x} className="sg-tl-month" style={{ left: m.x, width: m.w }}>
                {m.label}
              </div>
            ))}
            {weeks.map((w) => (
              <div key={w.x} className="sg-tl-tick" style={{ left: w.x }}>
                {w.label}
              </div>
            ))}
          </div>
        </div>

        <div className="sg-tl-body">
          {/* grid behind the rows: weekends, week lines, today */}
          <div className="sg-tl-grid" style={{ left: LABEL_W, width }} aria-hidden>
            {weekends.map((x) => (
              <div key={x} className="sg-tl-weekend" style={{ left: x, width: DAY_W }} />
            ))}
            {weeks.map((w) => (
              <div key={w.x} className="sg-tl-weekline" style={{ left: w.x }} />
            ))}
            {todayX !== null ? (
              <div className="sg-tl-today" style={{ left: todayX }} data-testid="timeline-today">
                <span>Today</span>
              </div>
            ) : null}
          </div>

          {lanes.map((lane) => (
            <div key={lane.key} className="sg-tl-lane" role="group" aria-label={lane.label}>
              <div className="sg-tl-row sg-tl-lane-head">
                <div className="sg-tl-label" style={{ width: LABEL_W }}>
                  <Text size="sm" fw={700} truncate>
                    {lane.label}
                  </Text>
                </div>
                <div className="sg-tl-track" style={{ width }} />
              </div>
              {lane.groups.map((g) => (
                <div key={g.release.id} className="sg-tl-group">
                  <div className="sg-tl-row">
                    <div className="sg-tl-label" style={{ width: LABEL_W, paddingLeft: 16 }}>
                      <Text size="xs" fw={600} className="sg-mono" truncate title={`${g.release.key} — ${g.release.name}`}>
                        {g.release.key}
                      </Text>
                      <Text size="xs" c="dimmed" truncate>
                        {typeLabel(g.release.type)}
                      </Text>
                    </div>
                    <div className="sg-tl-track" style={{ width }}>
                      {g.releaseItem ? bar(g.releaseItem, 'release') : null}
                    </div>
                  </div>
                  {g.phases.map((p) => (
                    <div key={p.id} className="sg-tl-row">
                      <div className="sg-tl-label" style={{ width: LABEL_W, paddingLeft: 32 }}>
                        <Text size="xs" truncate title={p.title}>
                          {p.title}
                        </Text>
                      </div>
                      <div className="sg-tl-track" style={{ width }}>
                        {bar(p, 'phase')}
                      </div>
                    </div>
                  ))}
                  {g.gates.length ? (
                    <div className="sg-tl-row">
                      <div className="sg-tl-label" style={{ width: LABEL_W, paddingLeft: 32 }}>
                        <Text size="xs" c="dimmed">
                          ◆ Gates
                        </Text>
                      </div>
                      <div className="sg-tl-track" style={{ width }}>
                        {g.gates.map(gate)}
                      </div>
                    </div>
                  ) : null}
                </div>
              ))}
            </div>
          ))}
        </div>
      </div>
    </Box>
  );
}
