/** Labels, colours and badges for releases, gates and their health: colour always comes with text. */
import { Badge, Group, List, Text, ThemeIcon, Tooltip } from '@mantine/core';
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconCircleDashed,
  IconCircleX,
  IconClockExclamation,
  IconPlayerSkipForward,
} from '@tabler/icons-react';
import type { CriterionKind, GateStatus, HealthStatus, Reason, ReleaseStatus, ReleaseType } from '../../api/types';

export const RELEASE_STATUS_LABELS: Record<ReleaseStatus, string> = {
  draft: 'Draft',
  planned: 'Planned',
  in_progress: 'In progress',
  released: 'Released',
  canceled: 'Canceled',
};
export const RELEASE_STATUSES = Object.keys(RELEASE_STATUS_LABELS) as ReleaseStatus[];
const RELEASE_STATUS_COLORS: Record<ReleaseStatus, string> = {
  draft: 'gray',
  planned: 'blue',
  in_progress: 'orange',
  released: 'green',
  canceled: 'dark',
};

export const RELEASE_TYPE_LABELS: Record<ReleaseType, string> = {
  enterprise: 'Enterprise',
  project: 'Project',
  independent: 'Independent',
};
export const RELEASE_TYPES = Object.keys(RELEASE_TYPE_LABELS) as ReleaseType[];
const RELEASE_TYPE_COLORS: Record<ReleaseType, string> = { enterprise: 'violet', project: 'indigo', independent: 'teal' };

export const HEALTH_LABELS: Record<HealthStatus, string> = { on_track: 'On track', at_risk: 'At risk', late: 'Late' };
const HEALTH_COLORS: Record<HealthStatus, string> = { on_track: 'green', at_risk: 'yellow', late: 'red' };

export const GATE_STATUS_LABELS: Record<GateStatus, string> = {
  pending: 'Pending',
  passed: 'Passed',
  failed: 'Failed',
  waived: 'Waived',
};
const GATE_STATUS_COLORS: Record<GateStatus, string> = { pending: 'yellow', passed: 'green', failed: 'red', waived: 'gray' };

export const CRITERION_LABELS: Record<CriterionKind, string> = {
  all_scope_done: 'All scope done',
  no_open_blockers: 'No open blocking work items',
  change_approved: 'Linked change request approved',
  deployment_succeeded: 'Deployment succeeded',
  manual_signoff: 'Manual sign-off',
  custom_check: 'Custom check',
};

export function criterionLabel(kind: CriterionKind, config: Record<string, unknown>): string {
  const base = CRITERION_LABELS[kind] ?? kind;
  if (kind === 'deployment_succeeded' && typeof config.environment === 'string') return `${base} in ${config.environment}`;
  if (kind === 'custom_check' && typeof config.name === 'string') {
    return `${config.name}${typeof config.min === 'number' ? ` ≥ ${config.min}` : ''}`;
  }
  return base;
}

export function ReleaseStatusBadge({ status }: { status: ReleaseStatus }) {
  return (
    <Badge color={RELEASE_STATUS_COLORS[status] ?? 'gray'} variant="light" data-testid="release-status">
      {RELEASE_STATUS_LABELS[status] ?? status}
    </Badge>
  );
}

export function ReleaseTypeBadge({ type }: { type: ReleaseType }) {
  return (
    <Badge color={RELEASE_TYPE_COLORS[type] ?? 'gray'} variant="outline">
      {RELEASE_TYPE_LABELS[type] ?? type}
    </Badge>
  );
}

const HEALTH_ICONS: Record<HealthStatus, typeof IconCircleCheck> = {
  on_track: IconCircleCheck,
  at_risk: IconAlertTriangle,
  late: IconClockExclamation,
};

/** Health with its reasons in a tooltip (keyboard-focusable). */
export function HealthBadge({ health, releaseStatus }: { health: { status: HealthStatus; reasons: Reason[] }; releaseStatus?: ReleaseStatus }) {
  if (releaseStatus === 'released' || releaseStatus === 'canceled') {
    return (
      <Tooltip label={`Health is not tracked once a release is ${RELEASE_STATUS_LABELS[releaseStatus].toLowerCase()}.`}>
        <Badge color="gray" variant="outline" tabIndex={0} data-testid="release-health">
          Closed
        </Badge>
      </Tooltip>
    );
  }
  const Icon = HEALTH_ICONS[health.status] ?? IconCircleCheck;
  const label = health.reasons.length ? (
    <List size="xs" spacing={2}>
      {health.reasons.map((r) => (
        <List.Item key={`${r.code}-${r.message}`}>{r.message}</List.Item>
      ))}
    </List>
  ) : (
    'No risks found in dates, gates or scope.'
  );
  return (
    <Tooltip label={label} multiline maw={360} withArrow>
      <Badge
        color={HEALTH_COLORS[health.status] ?? 'gray'}
        variant="light"
        leftSection={<Icon size={12} aria-hidden />}
        tabIndex={0}
        aria-label={`Health: ${HEALTH_LABELS[health.status]}${health.reasons.length ? ` — ${health.reasons.map((r) => r.message).join(' ')}` : ''}`}
        data-testid="release-health"
      >
        {HEALTH_LABELS[health.status] ?? health.status}
        {health.reasons.length ? ` · ${health.reasons.length}` : ''}
      </Badge>
    </Tooltip>
  );
}

const GATE_ICONS: Record<GateStatus, typeof IconCircleCheck> = {
  pending: IconCircleDashed,
  passed: IconCircleCheck,
  failed: IconCircleX,
  waived: IconPlayerSkipForward,
};

export function GateStatusBadge({ status }: { status: GateStatus }) {
  const Icon = GATE_ICONS[status] ?? IconCircleDashed;
  return (
    <Badge color={GATE_STATUS_COLORS[status] ?? 'gray'} variant="light" leftSection={<Icon size={12} aria-hidden />} data-testid="gate-status">
      {GATE_STATUS_LABELS[status] ?? status}
    </Badge>
  );
}

/** Criterion status as icon + word. */
export function CriterionStatus({ status }: { status: 'pending' | 'passed' | 'failed' }) {
  const Icon = GATE_ICONS[status];
  const color = GATE_STATUS_COLORS[status];
  return (
    <Group gap={4} wrap="nowrap">
      <ThemeIcon size="xs" variant="transparent" color={color} aria-hidden>
        <Icon size={14} />
      </ThemeIcon>
      {/* the light-variant text colour: 4.5:1 on white in the theme (yellow.8, green.7 are not) */}
      <Text size="xs" c={`var(--mantine-color-${color}-light-color)`} fw={500}>
        {GATE_STATUS_LABELS[status]}
      </Text>
    </Group>
  );
}

/**
 * Planned dates are calendar days, stored as UTC midnights (as the calendar and the health reasons
 * read them), so they are shown as UTC days: the same day for every viewer.
 */
const dayFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dayFormat.format(d);
}

export function formatWindow(start: string | null, end: string | null): string {
  if (!start && !end) return 'Not scheduled';
  return `${formatDay(start)} → ${formatDay(end)}`;
}

/** `YYYY-MM-DD` from a date input → RFC 3339 at UTC midnight of that day (a planned day). */
export function dayInputToRfc3339(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  return `${value}T00:00:00Z`;
}

export function todayInput(offsetDays = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
