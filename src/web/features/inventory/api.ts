import { api } from '../../api/client';
import type { EnvironmentTier, Page, ServiceTier, TeamRef } from '../../api/types';
import type { Deployment, DeploymentStatus } from '../deployments/api';

/** Decision 0010: what runs where, derived from the deployments. */
export interface InventoryCell {
  version: string;
  since: string;
  deploymentId: string;
}

export interface InventoryLast {
  id: string;
  version: string;
  status: DeploymentStatus;
  at: string;
}

export interface InventoryEnvironment {
  key: string;
  name: string;
  tier: EnvironmentTier | string;
  order: number;
}

export interface InventoryService {
  key: string;
  name: string;
  tier: ServiceTier | number;
  team: TeamRef | null;
  /** per environment key: the version running there (latest succeeded deployment) */
  cells: Record<string, InventoryCell | null>;
  /** per environment key: the latest deployment, whatever its status */
  last: Record<string, InventoryLast | null>;
  drift: boolean;
  driftDetail: string | null;
}

export interface Inventory {
  environments: InventoryEnvironment[];
  services: InventoryService[];
}

export interface InventoryParams {
  service?: string;
  team?: string;
  drift?: boolean;
}

export interface InventoryHistoryEntry {
  version: string;
  since: string;
  /** null: still running */
  until: string | null;
  deployment: Deployment;
}

export const inventoryApi = {
  get: (params: InventoryParams, signal?: AbortSignal) =>
    api.get<Inventory>('/inventory', { service: params.service, team: params.team, drift: params.drift ? 'true' : undefined }, { signal }),
  history: (params: { service: string; environment: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
    api.get<Page<InventoryHistoryEntry>>('/inventory/history', { ...params }, { signal }),
};

export const inventoryKeys = {
  all: ['inventory'] as const,
  matrix: (params: InventoryParams) => ['inventory', 'matrix', params] as const,
  history: (service: string, environment: string) => ['inventory', 'history', service, environment] as const,
};
