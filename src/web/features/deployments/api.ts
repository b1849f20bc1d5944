import { api } from '../../api/client';
import type { Page } from '../../api/types';

/** Decision 0010: a deployment as reported by a pipeline (API, CLI, CDEvents, GitHub, GitLab). */
export type DeploymentStatus = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'rolled_back' | 'canceled';
export const DEPLOYMENT_STATUSES: DeploymentStatus[] = ['queued', 'in_progress', 'succeeded', 'failed', 'rolled_back', 'canceled'];

export type DeploymentSource = 'api' | 'cli' | 'cdevents' | 'github' | 'gitlab';

export interface DeploymentCommit {
  sha: string;
  committedAt: string | null;
  author: string | null;
  message: string | null;
}

interface Ref {
  id: string;
  key: string;
  name: string;
}

export interface Deployment {
  id: string;
  service: Ref | null;
  /** the name the pipeline reported */
  serviceRef: string;
  environment: Ref | null;
  environmentRef: string;
  /** both service and environment are known to the catalog */
  matched: boolean;
  deployedVersion: string;
  artifact: string | null;
  status: DeploymentStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  commits: DeploymentCommit[];
  pipelineRunId: string | null;
  pipelineUrl: string | null;
  source: DeploymentSource | string;
  externalId: string | null;
  release: Ref | null;
  change: { id: string; number: string } | null;
  reportedBy: { id: string; name: string } | null;
  /** row version (ETag), not the deployed version */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeploymentListParams {
  service?: string;
  environment?: string;
  status?: DeploymentStatus;
  release?: string;
  change?: string;
  unmatched?: boolean;
  /** RFC 3339 */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export type MapUnmatchedBody = { serviceRef: string; service: string } | { environmentRef: string; environment: string };

export const deploymentsApi = {
  list: (params: DeploymentListParams, signal?: AbortSignal) =>
    api.get<Page<Deployment>>('/deployments', { ...params, unmatched: params.unmatched ? 'true' : undefined }, { signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Deployment>(`/deployments/${encodeURIComponent(id)}`, undefined, { signal }),
  mapUnmatched: (body: MapUnmatchedBody) => api.post<{ mapped: number }>('/deployments/unmatched/map', body),
};

export const deploymentKeys = {
  all: ['deployments'] as const,
  list: (params: Omit<DeploymentListParams, 'cursor' | 'limit'>) => ['deployments', 'list', params] as const,
  detail: (id: string) => ['deployments', 'detail', id] as const,
  /** the first page of unmatched reports, to count them */
  unmatchedProbe: ['deployments', 'unmatched-probe'] as const,
};
