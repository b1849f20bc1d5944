/** Wire types for the Shipgate API v1 (as used by the web UI). */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TeamRef {
  id: string;
  key: string;
  name: string;
}

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
  teams: TeamRef[];
  permissions: string[];
}

export interface ServiceRef {
  id: string;
  key: string;
  name: string;
}

export type ServiceTier = 1 | 2 | 3 | 4;

export interface Service {
  id: string;
  key: string;
  name: string;
  description: string | null;
  tier: ServiceTier;
  ownerTeam: TeamRef | null;
  governanceProfile: string | null;
  dependsOn: ServiceRef[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceCreate {
  key: string;
  name: string;
  description?: string;
  tier: ServiceTier;
  ownerTeamId?: string;
  governanceProfile?: string;
  dependsOn?: string[];
}

export interface ServicePatch {
  name?: string;
  description?: string | null;
  tier?: ServiceTier;
  ownerTeamId?: string | null;
  governanceProfile?: string | null;
  dependsOn?: string[];
}

export interface ServiceListParams {
  q?: string;
  tier?: number;
  team?: string;
  limit?: number;
  cursor?: string;
}

export type EnvironmentTier = 'development' | 'testing' | 'staging' | 'production';

export interface Environment {
  id: string;
  key: string;
  name: string;
  description: string | null;
  tier: EnvironmentTier;
  order: number;
  changeControlled: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentCreate {
  key: string;
  name: string;
  description?: string;
  tier: EnvironmentTier;
  order: number;
  changeControlled: boolean;
}

export interface EnvironmentPatch {
  name?: string;
  description?: string | null;
  tier?: EnvironmentTier;
  order?: number;
  changeControlled?: boolean;
}

export interface Team extends TeamRef {
  description?: string | null;
  memberCount?: number;
}

export type TokenKind = 'personal' | 'service_account';

export interface ApiToken {
  id: string;
  name: string;
  kind: TokenKind;
  prefix: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface TokenCreated {
  token: ApiToken;
  secret: string;
}

export interface AuditEvent {
  id: string;
  seq: number | string;
  at: string;
  actor: { id: string; name: string } | null;
  action: string;
  entityType: string;
  entityId: string;
  requestId: string | null;
  diff: unknown;
}

export interface AuditListParams {
  entityType?: string;
  entityId?: string;
  actor?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export type CalendarKind = 'release' | 'phase' | 'gate';
export type ReleaseType = 'enterprise' | 'project' | 'independent';

export interface CalendarItem {
  kind: CalendarKind;
  id: string;
  title: string;
  start: string;
  end: string;
  /** release: draft|planned|in_progress|released|canceled; phase: planned|active|done; gate: pending|passed|failed|waived */
  status: string;
  release: { id: string; key: string; name: string; type: string; status: string };
  team: TeamRef | null;
  /** environment keys (phases) */
  environments: string[];
}

export interface CalendarParams {
  from: string;
  to: string;
  team?: string;
  service?: string;
  environment?: string;
  kinds?: string;
}

/** What the server sends: items name their release by id; the client joins them (endpoints.ts). */
export interface CalendarWireResponse {
  from: string;
  to: string;
  truncated: boolean;
  items: (Omit<CalendarItem, 'release' | 'team'> & { releaseId: string })[];
  releases: (CalendarItem['release'] & { team: TeamRef | null })[];
}

export interface CalendarResponse {
  from: string;
  to: string;
  truncated: boolean;
  items: CalendarItem[];
}

export type FeedScope = 'team' | 'service';

export interface CalendarFeed {
  id: string;
  scope: FeedScope;
  name: string;
  target: { id: string; key: string; name: string };
  createdAt: string;
  revokedAt: string | null;
}

export interface CalendarFeedCreated {
  feed: CalendarFeed;
  /** secret, path-only subscription URL: shown once */
  url: string;
}

// ---- releases, templates, gates, work items ----

export type ReleaseStatus = 'draft' | 'planned' | 'in_progress' | 'released' | 'canceled';
export type HealthStatus = 'on_track' | 'at_risk' | 'late';
export type GateStatus = 'pending' | 'passed' | 'failed' | 'waived';
export type CriterionStatus = 'pending' | 'passed' | 'failed';
export type CriterionKind =
  | 'all_scope_done'
  | 'no_open_blockers'
  | 'change_approved'
  | 'deployment_succeeded'
  | 'manual_signoff'
  | 'custom_check';
export type StatusCategory = 'todo' | 'in_progress' | 'done';

export interface Reason {
  code: string;
  message: string;
}

export interface ReleasePhase {
  id: string;
  key: string;
  name: string;
  position: number;
  plannedStart: string | null;
  plannedEnd: string | null;
  actualStart: string | null;
  actualEnd: string | null;
  environments: TeamRef[];
  version: number;
}

export interface ReleaseCriterion {
  id: string;
  position: number;
  kind: CriterionKind;
  config: Record<string, unknown>;
  status: CriterionStatus;
  detail: string;
}

export interface ReleaseGate {
  id: string;
  key: string;
  name: string;
  afterPhase: string | null;
  plannedAt: string | null;
  status: GateStatus;
  approverTeam: TeamRef | null;
  quorum: number;
  pushedFromGateId: string | null;
  criteria: ReleaseCriterion[];
  version: number;
}

export interface Release {
  id: string;
  key: string;
  name: string;
  releaseVersion: string;
  type: ReleaseType;
  status: ReleaseStatus;
  parent: TeamRef | null;
  ownerTeam: TeamRef | null;
  description: string;
  plannedStart: string | null;
  plannedEnd: string | null;
  actualStart: string | null;
  actualEnd: string | null;
  plannedAt: string | null;
  templateId: string | null;
  templateVersion: number | null;
  services: (ServiceRef & { version: string | null })[];
  dependsOn: TeamRef[];
  phases: ReleasePhase[];
  gates: ReleaseGate[];
  scope: { total: number; done: number };
  health: { status: HealthStatus; reasons: Reason[] };
  warnings: Reason[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ReleaseListParams {
  q?: string;
  type?: ReleaseType;
  status?: ReleaseStatus;
  team?: string;
  parent?: string;
  limit?: number;
  cursor?: string;
}

export interface ReleaseCreate {
  key: string;
  name: string;
  releaseVersion?: string;
  type: ReleaseType;
  parentId?: string | null;
  services?: string[];
  ownerTeamId?: string | null;
  plannedStart?: string | null;
  plannedEnd?: string | null;
  description?: string;
  templateId?: string;
}

export interface NextStatuses {
  status: ReleaseStatus;
  next: { status: ReleaseStatus; roles: string[]; allowed: boolean }[];
}

export interface ReleaseTemplate {
  id: string;
  key: string;
  name: string;
  description: string;
  templateVersion: number;
  definition: TemplateDefinition;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface TemplatePhase {
  key: string;
  name: string;
  /** environment keys */
  environments?: string[];
  defaultDurationDays: number;
}

export interface TemplateGate {
  key: string;
  name: string;
  /** key of the phase this gate closes; null = before the first phase */
  afterPhase?: string | null;
  /** team key */
  approverTeam?: string | null;
  quorum?: number;
  criteria?: { kind: CriterionKind; config?: Record<string, unknown> }[];
}

export interface TemplateDefinition {
  phases: TemplatePhase[];
  gates?: TemplateGate[];
  runbook?: { title: string; owner?: string }[];
}

export interface ReleaseTemplateCreate {
  key: string;
  name: string;
  description?: string;
  definition: TemplateDefinition;
}

export interface ReleaseTemplatePatch {
  name?: string;
  description?: string | null;
  definition?: TemplateDefinition;
}

export interface ReleaseTemplateListParams {
  q?: string;
  limit?: number;
  cursor?: string;
}

export interface Person {
  id: string;
  name: string;
}

export interface GateDetail {
  id: string;
  key: string;
  name: string;
  release: TeamRef & { status: string };
  afterPhaseId: string | null;
  plannedAt: string | null;
  status: GateStatus;
  evaluatedAt: string | null;
  waiver: { reason: string; by: Person | null; at: string } | null;
  criteria: (ReleaseCriterion & {
    evaluatedAt: string | null;
    latestReport?: { passed: boolean; value: number | null; detail: string; reportedAt: string } | null;
  })[];
  signoff: {
    required: boolean;
    approverTeam: TeamRef | null;
    quorum: number;
    approvals: number;
    rejections: number;
    decisions: { user: Person; decision: 'approve' | 'reject'; comment: string; decidedAt: string }[];
    pendingApprovers: Person[] | null;
  };
  version: number;
}

export interface WorkItem {
  id: string;
  source: string;
  externalKey: string;
  url: string | null;
  type: string;
  title: string;
  statusCategory: StatusCategory;
  status: string;
  assignee: string | null;
  blocking: boolean;
  release: TeamRef | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface WorkItemCreate {
  source: string;
  externalKey: string;
  url?: string | null;
  type: string;
  title: string;
  statusCategory: StatusCategory;
  blocking?: boolean;
  release?: string | null;
}

export type ScopeItem = Pick<WorkItem, 'id' | 'source' | 'externalKey' | 'url' | 'type' | 'title' | 'status' | 'assignee' | 'blocking'>;

export interface ReleaseScope {
  release: TeamRef & { status: string; plannedAt: string | null };
  counts: { total: number; todo: number; inProgress: number; done: number; openBlockers: number };
  groups: { todo: ScopeItem[]; inProgress: ScopeItem[]; done: ScopeItem[] };
  truncated: boolean;
  scopeCreep: {
    change: 'added' | 'removed';
    at: string;
    actor: Person | null;
    workItem: Pick<ScopeItem, 'id' | 'source' | 'externalKey' | 'title'> | null;
  }[];
}
