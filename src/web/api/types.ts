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
  /** lowercase slug tags; time windows can be scoped by them */
  tags?: string[];
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
  /** what a booking request overlapping a requested or approved one gets: refused (409) or queued */
  bookingMode?: BookingMode;
  /** key of the team whose members decide bookings; null: anyone with booking:decide */
  bookingApproverTeam?: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type BookingMode = 'refuse' | 'queue';

export interface EnvironmentCreate {
  key: string;
  name: string;
  description?: string;
  tier: EnvironmentTier;
  order: number;
  changeControlled: boolean;
  bookingMode?: BookingMode;
  bookingApproverTeam?: string | null;
}

export interface EnvironmentPatch {
  name?: string;
  description?: string | null;
  tier?: EnvironmentTier;
  order?: number;
  changeControlled?: boolean;
  bookingMode?: BookingMode;
  bookingApproverTeam?: string | null;
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

// ---- time windows (blackouts, freezes, maintenance windows) and environment bookings ----

export type WindowKind = 'blackout' | 'freeze' | 'maintenance';
/** What occurrences and evaluations report: the window kinds plus approved environment bookings. */
export type OccurrenceKind = WindowKind | 'booking';
export type Activity = 'change' | 'deployment';

export interface WindowRecurrence {
  /** RFC 5545 RRULE value without DTSTART, e.g. FREQ=WEEKLY;BYDAY=FR */
  rrule: string;
  /** local starts (wall clock in the window zone) to skip */
  exdates?: string[];
}

export interface WindowOccurrence {
  /** instant, UTC */
  start: string;
  end: string;
  /** wall clock in the window's zone */
  startLocal: string;
  endLocal: string;
}

export interface WindowScope {
  all: boolean;
  services: ServiceRef[];
  environments: ServiceRef[];
  serviceTiers: number[];
  tags: string[];
}

export interface WindowScopeInput {
  all?: boolean;
  services?: string[];
  environments?: string[];
  serviceTiers?: number[];
  tags?: string[];
}

export interface TimeWindow {
  id: string;
  name: string;
  description: string;
  kind: WindowKind;
  timeZone: string;
  /** local wall clock of the first occurrence, YYYY-MM-DDTHH:mm:ss */
  start: string;
  end: string;
  recurrence: { rrule: string; exdates: string[] } | null;
  bounds: { firstStart: string; lastEnd: string | null };
  scope: WindowScope;
  nextOccurrences: WindowOccurrence[];
  createdBy: { id: string; name: string } | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface WindowCreate {
  name: string;
  description?: string;
  kind: WindowKind;
  timeZone: string;
  start: string;
  end: string;
  recurrence?: WindowRecurrence | null;
  scope: WindowScopeInput;
}

export interface WindowPatch {
  name?: string;
  description?: string | null;
  kind?: WindowKind;
  timeZone?: string;
  start?: string;
  end?: string;
  recurrence?: WindowRecurrence | null;
  scope?: { [K in keyof WindowScopeInput]?: WindowScopeInput[K] | null };
}

export interface WindowListParams {
  kind?: WindowKind;
  service?: string;
  environment?: string;
  q?: string;
  sort?: string;
  limit?: number;
  cursor?: string;
}

export interface WindowPreviewInput {
  kind?: WindowKind;
  timeZone: string;
  start: string;
  end: string;
  recurrence?: WindowRecurrence | null;
}

export interface WindowPreview {
  timeZone: string;
  start: string;
  end: string;
  bounds: { firstStart: string; lastEnd: string | null };
  occurrences: WindowOccurrence[];
}

export interface EvaluateInput {
  service: string;
  environment: string;
  /** RFC 3339 with offset */
  start: string;
  end: string;
  kind: Activity;
  team?: string;
  release?: string;
}

export type EvaluationEffect = 'blocks' | 'allows' | 'overridden' | 'held_by_you' | 'outside';

export interface Evaluation {
  allowed: boolean;
  windows: {
    window: { id: string; name: string; kind: OccurrenceKind };
    effect: EvaluationEffect;
    occurrence: { start: string; end: string } | null;
    scopeMatch: string[];
    reason: string;
    override: { by: string; reason: string; at: string } | null;
  }[];
  nextAllowed: { start: string; end: string } | null;
}

export interface OccurrencesParams {
  from: string;
  to: string;
  /** comma-separated subset of blackout,freeze,maintenance,booking */
  kind?: string;
  service?: string;
  environment?: string;
}

export interface CalendarOccurrence extends WindowOccurrence {
  window: {
    /** window id, or booking id for kind booking */
    id: string;
    name: string;
    kind: OccurrenceKind;
    timeZone: string;
    scope: WindowScope;
    holder: { team: TeamRef | null; release: TeamRef | null } | null;
  };
}

export interface OccurrencesResponse {
  from: string;
  to: string;
  items: CalendarOccurrence[];
  truncated: boolean;
}

export type BookingStatus = 'requested' | 'queued' | 'approved' | 'rejected' | 'canceled' | 'released';

export interface Booking {
  id: string;
  environment: ServiceRef;
  team: TeamRef | null;
  release: TeamRef | null;
  purpose: string;
  start: string;
  end: string;
  status: BookingStatus;
  queuePosition: number | null;
  requestedBy: { id: string; name: string } | null;
  decidedBy: { id: string; name: string } | null;
  decidedAt: string | null;
  decisionComment: string | null;
  releasedAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface BookingCreate {
  environment: string;
  team?: string;
  release?: string;
  /** RFC 3339 with offset */
  start: string;
  end: string;
  purpose: string;
}

export interface BookingListParams {
  environment?: string;
  status?: BookingStatus;
  team?: string;
  release?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export interface BookingSummary {
  id: string;
  status: BookingStatus;
  team: TeamRef | null;
  release: TeamRef | null;
  requestedBy: { id: string; name: string } | null;
  start: string;
  end: string;
  purpose: string;
}

export interface BookingConflict {
  environment: ServiceRef;
  overlapStart: string;
  overlapEnd: string;
  first: BookingSummary;
  second: BookingSummary;
}

// change management

export type ChangeType = 'standard' | 'normal' | 'emergency';
export type ChangeStateName = 'new' | 'assess' | 'authorize' | 'scheduled' | 'implement' | 'review' | 'closed' | 'canceled';
export type RiskLevel = 'low' | 'moderate' | 'high' | 'very_high';
export type CloseCode = 'successful' | 'successful_with_issues' | 'unsuccessful';
export type SecurityLevel = 'none' | 'low' | 'high';

export interface ChangeStateRef {
  name: ChangeStateName;
  value: number;
}

export interface ChangeConflict {
  kind: string;
  with: { type: string; id: string; label: string };
  start: string | null;
  end: string | null;
  detail: string;
}

/** What the governance policies of a change's services decided. */
export interface ChangePolicyVerdict {
  profiles: { profile: string; version: number; fired: string[]; fromDefaults: string[] }[];
  changeType: ChangeType;
  approvals: { group: string; quorum: number | null }[];
  autoApprove: boolean;
  windows: 'respect' | 'ignore';
  block: string | null;
  facts: {
    changeType: ChangeType;
    riskLevel: RiskLevel | null;
    riskScore: number | null;
    serviceTier: number | null;
    environmentTier: string | null;
    changeFailureRate90d: number | null;
    testsPassed: boolean | null;
  };
  evaluatedAt: string;
}

export interface Change {
  id: string;
  number: string;
  type: ChangeType;
  state: ChangeStateRef;
  title: string;
  description: string;
  justification: string;
  impact: 'low' | 'medium' | 'high' | null;
  securityImpact: { level: SecurityLevel; notes: string } | null;
  implementationPlan: string;
  backoutPlan: string;
  testPlan: string;
  plannedStart: string | null;
  plannedEnd: string | null;
  actualStart: string | null;
  actualEnd: string | null;
  closeCode: CloseCode | null;
  closeNotes: string;
  onHold: boolean;
  onHoldReason: string;
  emergencyReason: string | null;
  services: { id: string; key: string; name: string }[];
  environments: { id: string; key: string; name: string; tier: string }[];
  release: { id: string; key: string; name: string } | null;
  workItems: { id: string; source: string; externalKey: string; title: string }[];
  assignmentTeam: { id: string; key: string; name: string } | null;
  assignee: Person | null;
  requestedBy: Person | null;
  template: { id: string; key: string; name: string; version: number } | null;
  risk: {
    level: RiskLevel | null;
    score: number | null;
    factors: { factor: string; points: number; detail: string }[];
    override: { level: RiskLevel; reason: string; by: string | null; byName: string; at: string } | null;
    effectiveLevel: RiskLevel | null;
  };
  conflicts: ChangeConflict[];
  conflictsCheckedAt: string | null;
  policy: ChangePolicyVerdict | null;
  approvalRound: number;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ChangeListParams {
  limit?: number;
  cursor?: string;
  q?: string;
  state?: ChangeStateName;
  type?: ChangeType;
  service?: string;
}

export interface ChangeCreate {
  type: ChangeType;
  title: string;
  description?: string;
  justification?: string;
  services?: string[];
  environments?: string[];
  assignmentTeam?: string;
  securityImpact?: { level: SecurityLevel };
  plannedStart?: string;
  plannedEnd?: string;
  implementationPlan?: string;
  backoutPlan?: string;
  testPlan?: string;
  emergencyReason?: string;
  templateId?: string;
}

export interface ChangeTransitionInput {
  to: ChangeStateName;
  comment?: string;
  actualStart?: string;
  actualEnd?: string;
  closeCode?: CloseCode;
  closeNotes?: string;
}

export interface ChangeNextStates {
  state: ChangeStateRef;
  next: (ChangeStateRef & { ready: boolean; missing: { path: string; message: string }[] })[];
}

export interface ChangeHistoryEntry {
  id: string;
  from: ChangeStateRef | null;
  to: ChangeStateRef;
  actor: { id: string | null; name: string };
  comment: string;
  at: string;
}

export interface ChangeTemplate {
  id: string;
  key: string;
  name: string;
  description: string;
  active: boolean;
  templateVersion: number;
}

export interface ApprovalDecision {
  id: string;
  round: number;
  group: { id: string; key: string; name: string };
  approver: Person;
  onBehalfOf: Person | null;
  decision: 'approved' | 'rejected';
  comment: string;
  decidedAt: string;
}

export interface ApprovalRequirement {
  id: string;
  group: { id: string; key: string; name: string };
  quorum: number | null;
  needed: number;
  approvals: number;
  rejections: number;
  met: boolean;
  dueAt: string | null;
  overdue: boolean;
  mayApprove: (Person & { delegates: Person[] })[];
  excluded: (Person & { reasons: string[] })[];
}

export interface ChangeApprovals {
  change: { id: string; number: string; state: number };
  round: number;
  open: boolean;
  met: boolean;
  rejected: boolean;
  /** which governance policy auto-approved the round, when one did */
  autoApproved: string | null;
  blockers: string[];
  requirements: ApprovalRequirement[];
  decisions: ApprovalDecision[];
}
