import { api } from '../../api/client';

const enc = encodeURIComponent;

export type PolicyFormat = 'json' | 'yaml';
export type PolicyStatus = 'draft' | 'active' | 'retired';
export type BacktestOutcome = 'autoApprove' | 'approvals' | 'block' | 'neither';

export interface PolicyVersion {
  profile: string;
  version: number;
  format: PolicyFormat;
  status: PolicyStatus;
  source: string;
  document: unknown;
  /** user id; null for versions installed by the system */
  createdBy: string | null;
  createdAt: string;
}

export interface GovernanceProfile {
  id: string;
  key: string;
  name: string;
  description: string;
  currentVersion: number | null;
  latestVersion: number | null;
  policy: PolicyVersion | null;
  /** keys of the services with this profile */
  services: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ProfileCreate {
  key: string;
  name: string;
  description?: string;
}

export interface PolicyInput {
  format: PolicyFormat;
  source: string;
  activate?: boolean;
}

export interface PolicyValidation {
  valid: boolean;
  /** path is a JSON pointer into the document */
  errors: { path: string; message: string }[];
  document?: Record<string, unknown>;
}

export interface BacktestGroup {
  count: number;
  closed: number;
  unsuccessful: number;
  /** unsuccessful ÷ closed; null when none closed */
  failureRate: number | null;
}

export interface BacktestResult extends Record<BacktestOutcome, BacktestGroup> {
  profile: string;
  version: number;
  from: string;
  to: string;
  total: number;
  changes: { number: string; outcome: BacktestOutcome; closeCode: string | null; fired: string[] }[];
}

export type RiskLevel = 'low' | 'moderate' | 'high' | 'very_high';
export type EnvironmentTier = 'development' | 'testing' | 'staging' | 'production';
export type ChangeType = 'standard' | 'normal' | 'emergency';

/** The facts a policy decides on; a fact left out satisfies no condition. */
export interface PolicyFacts {
  changeType?: ChangeType;
  riskLevel?: RiskLevel;
  environmentTier?: EnvironmentTier;
  serviceTier?: number;
  testsPassed?: boolean;
  changeFailureRate90d?: number;
  emergency?: boolean;
}

export interface PolicyEvaluation {
  profile: string;
  version: number;
  decision: {
    changeType: ChangeType;
    approvals: { group: string; quorum: number | null }[];
    autoApprove: boolean;
    windows: 'respect' | 'ignore';
    block: string | null;
  };
  explanation: {
    rules: { id: string; fired: boolean; conditions: { fact: string; test: unknown; value: unknown; met: boolean }[]; decided: string[] }[];
    fired: string[];
    fromDefaults: string[];
  };
}

export interface UserRef {
  id: string;
  name: string;
  email: string;
}

export const policiesApi = {
  profiles: (signal?: AbortSignal) => api.get<{ items: GovernanceProfile[] }>('/governance-profiles', undefined, { signal }),
  profile: (key: string, signal?: AbortSignal) => api.get<GovernanceProfile>(`/governance-profiles/${enc(key)}`, undefined, { signal }),
  createProfile: (body: ProfileCreate) => api.post<GovernanceProfile>('/governance-profiles', body),
  versions: (key: string, signal?: AbortSignal) => api.get<{ items: PolicyVersion[] }>(`/governance-profiles/${enc(key)}/policies`, undefined, { signal }),
  addVersion: (key: string, body: PolicyInput) => api.post<PolicyVersion>(`/governance-profiles/${enc(key)}/policies`, body),
  activate: (key: string, version: number) => api.post<PolicyVersion>(`/policies/${enc(key)}/versions/${version}/activate`),
  validate: (body: Omit<PolicyInput, 'activate'>) => api.post<PolicyValidation>('/policies/validate', body),
  backtest: (key: string, body: { from: string; to: string; version?: number }) => api.post<BacktestResult>(`/policies/${enc(key)}/backtest`, body),
  evaluate: (body: PolicyFacts & { profile: string; version?: number }) => api.post<PolicyEvaluation>('/policies/evaluate', body),
  /** only for holders of user:read; others see authors as ids */
  users: (signal?: AbortSignal) => api.get<{ items: UserRef[] }>('/users', { limit: 200 }, { signal }),
};

export const policyKeys = {
  all: ['governance-profiles'] as const,
  list: ['governance-profiles', 'list'] as const,
  profile: (key: string) => ['governance-profiles', 'detail', key] as const,
  versions: (key: string) => ['governance-profiles', 'detail', key, 'versions'] as const,
  users: ['users', 'options'] as const,
};
