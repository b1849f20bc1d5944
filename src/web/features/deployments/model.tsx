import type { ReactNode } from 'react';
import { Badge, Text, Tooltip } from '@mantine/core';
import {
  IconAlertTriangle,
  IconArrowBackUp,
  IconBan,
  IconCircleCheck,
  IconClockHour4,
  IconLoader2,
} from '@tabler/icons-react';
import { formatDateTime, formatRelative, zoneName } from '../../lib/format';
import type { Deployment, DeploymentStatus } from './api';

export const DEPLOYMENT_STATUS_LABELS: Record<DeploymentStatus, string> = {
  queued: 'Queued',
  in_progress: 'In progress',
  succeeded: 'Succeeded',
  failed: 'Failed',
  rolled_back: 'Rolled back',
  canceled: 'Canceled',
};

const STATUS_COLORS: Record<DeploymentStatus, string> = {
  queued: 'gray',
  in_progress: 'blue',
  succeeded: 'green',
  failed: 'red',
  rolled_back: 'orange',
  canceled: 'gray',
};

const STATUS_ICONS: Record<DeploymentStatus, ReactNode> = {
  queued: <IconClockHour4 size={12} aria-hidden />,
  in_progress: <IconLoader2 size={12} aria-hidden />,
  succeeded: <IconCircleCheck size={12} aria-hidden />,
  failed: <IconAlertTriangle size={12} aria-hidden />,
  rolled_back: <IconArrowBackUp size={12} aria-hidden />,
  canceled: <IconBan size={12} aria-hidden />,
};

/** Status as colour, icon and text. */
export function DeploymentStatusBadge({ status, children, size }: { status: DeploymentStatus | string; children?: ReactNode; size?: string }) {
  const known = status in STATUS_COLORS ? (status as DeploymentStatus) : null;
  return (
    <Badge
      color={known ? STATUS_COLORS[known] : 'gray'}
      variant="light"
      size={size}
      leftSection={known ? STATUS_ICONS[known] : null}
      tt="none"
      data-testid="deployment-status"
    >
      {children ?? (known ? DEPLOYMENT_STATUS_LABELS[known] : status)}
    </Badge>
  );
}

export const SOURCE_LABELS: Record<string, string> = {
  api: 'API',
  cli: 'CLI',
  cdevents: 'CDEvents',
  github: 'GitHub',
  gitlab: 'GitLab',
};

/** "1 h 4 min", "3 min 20 s", "45 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  return rest ? `${m} min ${rest} s` : `${m} min`;
}

/** When a deployment happened: its finish, else its start, else when it was reported. */
export function deploymentTime(d: Deployment): string {
  return d.finishedAt ?? d.startedAt ?? d.createdAt;
}

/** Relative time, the exact time with the zone in a tooltip. */
export function RelativeTime({ iso, size = 'sm', c }: { iso: string | null; size?: string; c?: string }) {
  if (!iso) return <Text span size={size} c="dimmed">—</Text>;
  return (
    <Tooltip label={`${formatDateTime(iso)} ${zoneName(iso)}`} withArrow>
      <Text span size={size} c={c} tabIndex={0} style={{ whiteSpace: 'nowrap' }}>
        <time dateTime={iso}>{formatRelative(iso)}</time>
      </Text>
    </Tooltip>
  );
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/** How pipelines report deployments (shared with the environments page's empty state). */
export function ReportHelp() {
  return (
    <>
      Pipelines report each deployment to <code className="sg-mono">POST /api/v1/deployments</code> with an API token (service,
      environment, version, status), or from the Shipgate CLI in the pipeline. CDEvents, GitHub
      and GitLab deployments are picked up by their integrations.
    </>
  );
}
