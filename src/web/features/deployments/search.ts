import { DEPLOYMENT_STATUSES, type DeploymentStatus } from './api';

export interface DeploymentsSearch {
  service?: string;
  environment?: string;
  status?: DeploymentStatus;
  /** YYYY-MM-DD, the viewer's day */
  from?: string;
  to?: string;
  /** the "Unmatched" tab */
  unmatched?: true;
  /** the deployment shown in the detail drawer */
  deployment?: string;
}

function str(value: unknown, max = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, max) : undefined;
}

function day(value: unknown): string | undefined {
  const s = str(value, 10);
  return s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : undefined;
}

/** The deployment history's filters, kept in the URL. */
export function validateDeploymentsSearch(search: Record<string, unknown>): DeploymentsSearch {
  return {
    service: str(search.service),
    environment: str(search.environment),
    status: DEPLOYMENT_STATUSES.includes(search.status as DeploymentStatus) ? (search.status as DeploymentStatus) : undefined,
    from: day(search.from),
    to: day(search.to),
    unmatched: search.unmatched === true || search.unmatched === 'true' ? true : undefined,
    deployment: str(search.deployment, 100),
  };
}

/** A YYYY-MM-DD day in the viewer's zone → RFC 3339 at its start (or the start of the next day for `to`). */
export function dayToRfc3339(value: string | undefined, end = false): string | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(y!, m! - 1, d! + (end ? 1 : 0));
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString();
}
