import { Badge, Group, NativeSelect, Text, type NativeSelectProps } from '@mantine/core';
import {
  IconAlertTriangle,
  IconCircleCheck,
  IconCircleDashed,
  IconCircleX,
  IconFlame,
  IconGauge,
  IconPlayerPlay,
  IconSearch,
  IconShieldCheck,
  IconCalendarTime,
  IconClipboardCheck,
  IconFilePlus,
} from '@tabler/icons-react';
import type { ChangeStateName, ChangeType, CloseCode, RiskLevel } from '../../api/types';

export const CHANGE_STATE_LABELS: Record<ChangeStateName, string> = {
  new: 'New',
  assess: 'Assess',
  authorize: 'Authorize',
  scheduled: 'Scheduled',
  implement: 'Implement',
  review: 'Review',
  closed: 'Closed',
  canceled: 'Canceled',
};
export const CHANGE_STATES = Object.keys(CHANGE_STATE_LABELS) as ChangeStateName[];

const STATE_STYLE: Record<ChangeStateName, { color: string; icon: typeof IconCircleDashed }> = {
  new: { color: 'gray', icon: IconFilePlus },
  assess: { color: 'cyan', icon: IconSearch },
  authorize: { color: 'violet', icon: IconClipboardCheck },
  scheduled: { color: 'blue', icon: IconCalendarTime },
  implement: { color: 'orange', icon: IconPlayerPlay },
  review: { color: 'teal', icon: IconShieldCheck },
  closed: { color: 'green', icon: IconCircleCheck },
  canceled: { color: 'gray', icon: IconCircleX },
};

export function ChangeStateBadge({ state }: { state: ChangeStateName }) {
  const { color, icon: Icon } = STATE_STYLE[state];
  return (
    <Badge color={color} variant="light" miw="max-content" leftSection={<Icon size={12} aria-hidden />} data-testid="change-state">
      {CHANGE_STATE_LABELS[state]}
    </Badge>
  );
}

export const CHANGE_TYPE_LABELS: Record<ChangeType, string> = { standard: 'Standard', normal: 'Normal', emergency: 'Emergency' };
export const CHANGE_TYPES = Object.keys(CHANGE_TYPE_LABELS) as ChangeType[];

export function ChangeTypeBadge({ type }: { type: ChangeType }) {
  return (
    <Badge
      miw="max-content"
      color={type === 'emergency' ? 'red' : type === 'standard' ? 'gray' : 'indigo'}
      variant="outline"
      leftSection={type === 'emergency' ? <IconFlame size={12} aria-hidden /> : undefined}
    >
      {CHANGE_TYPE_LABELS[type]}
    </Badge>
  );
}

export const RISK_LABELS: Record<RiskLevel, string> = { low: 'Low', moderate: 'Moderate', high: 'High', very_high: 'Very high' };
const RISK_COLORS: Record<RiskLevel, string> = { low: 'green', moderate: 'yellow', high: 'orange', very_high: 'red' };

export function RiskBadge({ level, size }: { level: RiskLevel | null; size?: 'sm' | 'md' | 'lg' }) {
  if (!level) {
    return (
      <Text size="sm" c="dimmed">
        Not assessed
      </Text>
    );
  }
  return (
    <Badge
      miw="max-content"
      color={RISK_COLORS[level]}
      variant="light"
      size={size}
      leftSection={level === 'very_high' || level === 'high' ? <IconAlertTriangle size={12} aria-hidden /> : <IconGauge size={12} aria-hidden />}
      data-testid="risk-level"
    >
      {RISK_LABELS[level]} risk
    </Badge>
  );
}

export const CLOSE_CODE_LABELS: Record<CloseCode, string> = {
  successful: 'Successful',
  successful_with_issues: 'Successful with issues',
  unsuccessful: 'Unsuccessful',
};

export const FACTOR_LABELS: Record<string, string> = {
  service_tier: 'Service tier',
  environment_tier: 'Environment tier',
  change_size: 'Change size',
  emergency: 'Emergency',
  conflicts: 'Conflicts',
  time_of_week: 'Time of week',
  failure_rate: 'Failure rate',
  blast_radius: 'Blast radius',
};

export const CONFLICT_LABELS: Record<string, string> = {
  change_overlap: 'Overlapping change',
  dependency_overlap: 'Dependency changing at the same time',
  blackout: 'Blackout window',
  freeze: 'Freeze window',
  outside_maintenance: 'Outside the maintenance window',
  assignee_double_booked: 'Assignee double-booked',
};

const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

const dateTimeFormat = () =>
  new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

/** A moment in the viewer's zone, the zone named. */
export function formatMoment(iso: string | null | undefined): string {
  if (!iso) return '—';
  return dateTimeFormat().format(new Date(iso));
}

/** A planned window in the viewer's zone, the zone named once. */
export function formatChangeWindow(start: string | null, end: string | null): string {
  if (!start && !end) return 'Not planned';
  const f = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const zone = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' })
    .formatToParts(new Date(start ?? end!))
    .find((p) => p.type === 'timeZoneName')?.value;
  return `${start ? f.format(new Date(start)) : '…'} → ${end ? f.format(new Date(end)) : '…'} ${zone ?? viewerZone()}`;
}

/** `YYYY-MM-DDTHH:mm` typed in the viewer's zone → RFC 3339. */
export function localInputToIso(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** now (or an ISO moment) as `YYYY-MM-DDTHH:mm` in the viewer's zone */
export function toLocalInput(iso?: string | null): string {
  const d = iso ? new Date(iso) : new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ZoneNote() {
  return (
    <Group gap={4}>
      <Text size="xs" c="dimmed">
        Times in your zone ({viewerZone()})
      </Text>
    </Group>
  );
}

export type { ChangesSearch } from './search';

export const changeKeys = {
  all: ['changes'] as const,
  list: (params: object) => ['changes', 'list', params] as const,
  detail: (ref: string) => ['changes', 'detail', ref] as const,
  nextStates: (ref: string) => ['changes', 'detail', ref, 'next-states'] as const,
  history: (ref: string) => ['changes', 'detail', ref, 'history'] as const,
  approvals: (ref: string) => ['changes', 'detail', ref, 'approvals'] as const,
  inbox: ['changes', 'inbox'] as const,
};

/** The security impact of a change, with when it is required; the same field when creating and editing. */
export function SecurityImpactSelect({ hasProduction, ...props }: { hasProduction: boolean } & Omit<NativeSelectProps, 'label' | 'description' | 'data'>) {
  return (
    <NativeSelect
      label="Security impact"
      description={hasProduction ? 'Production is in scope: needed before Authorize.' : 'Needed before Authorize when production is in scope.'}
      data={[
        { value: '', label: 'Not documented' },
        { value: 'none', label: 'None' },
        { value: 'low', label: 'Low' },
        { value: 'high', label: 'High' },
      ]}
      {...props}
    />
  );
}
