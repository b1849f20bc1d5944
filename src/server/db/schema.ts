import type { ColumnType, Generated } from 'kysely';

/** Kysely table types; they mirror migrations/ (the source of truth). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface TeamsTable {
  id: string;
  key: string;
  name: string;
  description: string;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  is_service_account: Generated<boolean>;
  disabled_at: Date | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
}

export interface SessionsTable {
  id: string; // SHA-256 of the cookie value
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  kind: 'personal' | 'service_account';
  prefix: string;
  token_hash: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ServicesTable {
  id: string;
  key: string;
  name: string;
  description: string;
  tier: number;
  owner_team_id: string | null;
  governance_profile: string | null;
  tags: Generated<string[]>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ServiceDependenciesTable {
  service_id: string;
  depends_on_id: string;
}

export interface EnvironmentsTable {
  id: string;
  key: string;
  name: string;
  description: string;
  tier: 'development' | 'testing' | 'staging' | 'production';
  sort_order: number;
  change_controlled: boolean;
  booking_mode: Generated<'refuse' | 'queue'>;
  booking_approver_team_id: Generated<string | null>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AuditEventsTable {
  seq: Generated<string>; // int8 → string
  id: string;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  request_id: string | null;
  diff: Json;
  /** null until the sealer links the event into the chain, right after its transaction commits */
  chain_seq: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  status: number | null;
  response_body: string | null;
  response_headers: Json<Record<string, string>> | null;
  created_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

export type ReleaseType = 'enterprise' | 'project' | 'independent';
export type ReleaseStatus = 'draft' | 'planned' | 'in_progress' | 'released' | 'canceled';
export type GateStatus = 'pending' | 'passed' | 'failed' | 'waived';
export type CriterionKind = 'all_scope_done' | 'no_open_blockers' | 'change_approved' | 'deployment_succeeded' | 'manual_signoff' | 'custom_check';
export type StatusCategory = 'todo' | 'in_progress' | 'done';

export interface ReleaseTemplatesTable {
  id: string;
  key: string;
  name: string;
  description: string;
  template_version: Generated<number>;
  definition: Json;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ReleaseTemplateVersionsTable {
  template_id: string;
  template_version: number;
  definition: Json;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ReleasesTable {
  id: string;
  key: string;
  name: string;
  release_version: string;
  type: ReleaseType;
  parent_id: string | null;
  status: Generated<ReleaseStatus>;
  owner_team_id: string | null;
  description: string;
  planned_start: Date | null;
  planned_end: Date | null;
  actual_start: Date | null;
  actual_end: Date | null;
  planned_at: Date | null;
  template_id: string | null;
  template_version: number | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ReleaseServicesTable {
  release_id: string;
  service_id: string;
  service_version: string | null;
}

export interface ReleaseDependenciesTable {
  release_id: string;
  depends_on_id: string;
}

export interface ReleaseTransitionRulesTable {
  release_type: ReleaseType;
  from_status: ReleaseStatus;
  to_status: ReleaseStatus;
  roles: string[];
}

export interface ReleasePhasesTable {
  id: string;
  release_id: string;
  key: string;
  name: string;
  position: number;
  planned_start: Date | null;
  planned_end: Date | null;
  actual_start: Date | null;
  actual_end: Date | null;
  version: Generated<number>;
}

export interface ReleasePhaseEnvironmentsTable {
  phase_id: string;
  environment_id: string;
}

export interface ReleaseGatesTable {
  id: string;
  release_id: string;
  key: string;
  name: string;
  after_phase_id: string | null;
  planned_at: Date | null;
  status: Generated<GateStatus>;
  approver_team_id: string | null;
  quorum: Generated<number>;
  pushed_from_gate_id: string | null;
  waiver_reason: string | null;
  waived_by: string | null;
  waived_at: Date | null;
  evaluated_at: Date | null;
  version: Generated<number>;
}

export interface GateCriteriaTable {
  id: string;
  gate_id: string;
  position: number;
  kind: CriterionKind;
  config: Json<Record<string, unknown>>;
  status: Generated<'pending' | 'passed' | 'failed'>;
  detail: Generated<string>;
  evaluated_at: Date | null;
}

export interface GateSignoffsTable {
  gate_id: string;
  user_id: string;
  decision: 'approve' | 'reject';
  comment: string;
  decided_at: Timestamp;
}

export interface CustomCheckReportsTable {
  criterion_id: string;
  value: string | null; // numeric → string
  passed: boolean;
  detail: string;
  reported_by: string | null;
  reported_at: Timestamp;
}

export interface WorkItemsTable {
  id: string;
  source: string;
  external_key: string;
  url: string | null;
  type: string;
  title: string;
  status_category: StatusCategory;
  status: Generated<string>;
  assignee: string | null;
  blocking: Generated<boolean>;
  release_id: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ReleaseScopeChangesTable {
  id: string;
  release_id: string;
  work_item_id: string | null;
  change: 'added' | 'removed';
  scope_creep: boolean;
  actor_id: string | null;
  at: Timestamp;
}

export interface CalendarFeedsTable {
  id: string;
  token_hash: string;
  scope: 'team' | 'service';
  team_id: string | null;
  service_id: string | null;
  name: string;
  created_by: string;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface TimeWindowsTable {
  id: string;
  name: string;
  description: Generated<string>;
  kind: 'blackout' | 'freeze' | 'maintenance';
  time_zone: string;
  /** wall clock in time_zone, YYYY-MM-DDTHH:mm:ss */
  starts_local: string;
  ends_local: string;
  rrule: string | null;
  exdates: Generated<string[]>;
  first_start: Timestamp;
  last_end: Timestamp | null;
  scope_all: Generated<boolean>;
  scope_service_tiers: Generated<number[]>;
  scope_tags: Generated<string[]>;
  created_by: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TimeWindowServicesTable {
  window_id: string;
  service_id: string;
}

export interface TimeWindowEnvironmentsTable {
  window_id: string;
  environment_id: string;
}

export interface TimeWindowOverridesTable {
  id: string;
  window_id: string;
  subject_type: 'change' | 'deployment';
  subject_ref: string;
  reason: string;
  created_by: string | null;
  created_by_name: string;
  created_at: CreatedAt;
}

export type BookingStatus = 'requested' | 'queued' | 'approved' | 'rejected' | 'canceled' | 'released';

export interface EnvironmentBookingsTable {
  id: string;
  environment_id: string;
  team_id: string | null;
  release_id: string | null;
  purpose: Generated<string>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  status: BookingStatus;
  requested_by: string | null;
  decided_by: Generated<string | null>;
  decided_at: Generated<Date | null>;
  decision_comment: Generated<string | null>;
  released_at: Generated<Date | null>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface TimeWindowStateTable {
  id: number;
  revision: string; // int8 → string
}

export type ChangeType = 'standard' | 'normal' | 'emergency';
/** ServiceNow's numeric states: New -5, Assess -4, Authorize -3, Scheduled -2, Implement -1, Review 0, Closed 3, Canceled 4 */
export type ChangeStateValue = -5 | -4 | -3 | -2 | -1 | 0 | 3 | 4;
export type RiskLevel = 'low' | 'moderate' | 'high' | 'very_high';

export interface ApproverGroupsTable {
  id: string;
  key: string;
  name: string;
  description: Generated<string>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ApproverGroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface ApprovalDelegationsTable {
  id: string;
  user_id: string;
  delegate_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  reason: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
  revoked_at: Generated<Date | null>;
}

export interface ChangeTemplatesTable {
  id: string;
  key: string;
  name: string;
  description: Generated<string>;
  active: Generated<boolean>;
  current_version: Generated<number>;
  definition: unknown;
  version: Generated<number>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ChangeTemplateVersionsTable {
  template_id: string;
  template_version: number;
  definition: unknown;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ChangeRequestsTable {
  id: string;
  number: string;
  type: ChangeType;
  state: Generated<ChangeStateValue>;
  title: string;
  description: Generated<string>;
  justification: Generated<string>;
  impact: 'low' | 'medium' | 'high' | null;
  security_impact: 'none' | 'low' | 'high' | null;
  security_impact_notes: Generated<string>;
  implementation_plan: Generated<string>;
  backout_plan: Generated<string>;
  test_plan: Generated<string>;
  planned_start: Timestamp | null;
  planned_end: Timestamp | null;
  actual_start: Timestamp | null;
  actual_end: Timestamp | null;
  close_code: 'successful' | 'successful_with_issues' | 'unsuccessful' | null;
  close_notes: Generated<string>;
  on_hold: Generated<boolean>;
  on_hold_reason: Generated<string>;
  emergency_reason: string | null;
  risk_level: RiskLevel | null;
  risk_score: number | null;
  risk_factors: Generated<unknown>;
  risk_override: unknown | null;
  conflicts: Generated<unknown>;
  conflicts_checked_at: Timestamp | null;
  policy: unknown | null;
  requested_by: string | null;
  assignment_team_id: string | null;
  assignee_id: string | null;
  release_id: string | null;
  template_id: string | null;
  template_version: number | null;
  approval_round: Generated<number>;
  external_refs: Generated<unknown>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ChangeServicesTable {
  change_id: string;
  service_id: string;
  /** set when the change closes: its actual end (or the close time) and whether it failed */
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  unsuccessful: Generated<boolean | null>;
}

export interface ChangeEnvironmentsTable {
  change_id: string;
  environment_id: string;
}

export interface ChangeWorkItemsTable {
  change_id: string;
  work_item_id: string;
}

export interface ChangeStateTransitionsTable {
  id: string;
  change_id: string;
  from_state: ChangeStateValue | null;
  to_state: ChangeStateValue;
  actor_id: string | null;
  actor_name: string;
  comment: Generated<string>;
  at: Generated<Date>;
}

export interface ChangeTasksTable {
  id: string;
  change_id: string;
  kind: 'post_implementation_review' | 'task';
  title: string;
  due_at: Timestamp | null;
  status: Generated<'open' | 'done' | 'canceled'>;
  assignee_id: string | null;
  completed_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface ChangeApprovalRequirementsTable {
  id: string;
  change_id: string;
  round: number;
  group_id: string;
  quorum: number | null;
  due_at: Timestamp | null;
  escalated_at: Timestamp | null;
  source: Generated<string>;
  created_at: CreatedAt;
}

export interface ChangeApprovalsTable {
  id: string;
  change_id: string;
  round: number;
  requirement_id: string;
  approver_id: string;
  on_behalf_of: string | null;
  decision: 'approved' | 'rejected';
  comment: Generated<string>;
  decided_at: Generated<Date>;
}

export interface CabBoardsTable {
  id: string;
  key: string;
  name: string;
  group_id: string;
  time_zone: string;
  first_meeting_local: string;
  duration_minutes: number;
  rrule: string;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type PolicyFormat = 'json' | 'yaml';
export type PolicyStatus = 'draft' | 'active' | 'retired';

export interface GovernanceProfilesTable {
  id: string;
  key: string;
  name: string;
  description: Generated<string>;
  current_version: number | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PolicyVersionsTable {
  profile_id: string;
  version: number;
  format: PolicyFormat;
  source: string;
  document: Json;
  status: PolicyStatus;
  created_by: string | null;
  created_at: CreatedAt;
}

export type DeploymentStatus = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'rolled_back' | 'canceled';
export type DeploymentSource = 'api' | 'cli' | 'cdevents' | 'github' | 'gitlab';

export interface DeploymentsTable {
  id: string;
  service_id: string | null;
  service_ref: string;
  environment_id: string | null;
  environment_ref: string;
  deployed_version: string;
  artifact: string | null;
  status: DeploymentStatus;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  sort_at: ColumnType<Date, never, never>; // generated: coalesce(finished_at, started_at, created_at)
  pipeline_run_id: string | null;
  pipeline_url: string | null;
  source: DeploymentSource;
  external_id: string | null;
  release_id: string | null;
  change_id: string | null;
  reported_by: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DeploymentCommitsTable {
  deployment_id: string;
  sha: string;
  committed_at: Timestamp | null;
  author: string | null;
  message: string | null;
}

export interface EnvironmentInventoryTable {
  service_id: string;
  environment_id: string;
  deployment_id: string;
  deployed_version: string;
  since: Timestamp;
}

export interface ServiceAliasesTable {
  ref: string;
  service_id: string;
}

export interface EnvironmentAliasesTable {
  ref: string;
  environment_id: string;
}

export type InboundEventOutcome = 'applied' | 'stored' | 'ignored';

export interface InboundEventsTable {
  id: string;
  kind: 'cdevents';
  source: string;
  event_id: string;
  type: string;
  subject: string | null;
  payload: Json | null;
  outcome: InboundEventOutcome;
  detail: string;
  received_at: Timestamp;
}

export interface DB {
  teams: TeamsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  team_members: TeamMembersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  services: ServicesTable;
  service_dependencies: ServiceDependenciesTable;
  environments: EnvironmentsTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  release_templates: ReleaseTemplatesTable;
  release_template_versions: ReleaseTemplateVersionsTable;
  releases: ReleasesTable;
  release_services: ReleaseServicesTable;
  release_dependencies: ReleaseDependenciesTable;
  release_transition_rules: ReleaseTransitionRulesTable;
  release_phases: ReleasePhasesTable;
  release_phase_environments: ReleasePhaseEnvironmentsTable;
  release_gates: ReleaseGatesTable;
  gate_criteria: GateCriteriaTable;
  gate_signoffs: GateSignoffsTable;
  custom_check_reports: CustomCheckReportsTable;
  work_items: WorkItemsTable;
  release_scope_changes: ReleaseScopeChangesTable;
  calendar_feeds: CalendarFeedsTable;
  time_windows: TimeWindowsTable;
  time_window_services: TimeWindowServicesTable;
  time_window_environments: TimeWindowEnvironmentsTable;
  time_window_overrides: TimeWindowOverridesTable;
  environment_bookings: EnvironmentBookingsTable;
  time_window_state: TimeWindowStateTable;
  approver_groups: ApproverGroupsTable;
  approver_group_members: ApproverGroupMembersTable;
  approval_delegations: ApprovalDelegationsTable;
  change_templates: ChangeTemplatesTable;
  change_template_versions: ChangeTemplateVersionsTable;
  change_requests: ChangeRequestsTable;
  change_services: ChangeServicesTable;
  change_environments: ChangeEnvironmentsTable;
  change_work_items: ChangeWorkItemsTable;
  change_state_transitions: ChangeStateTransitionsTable;
  change_tasks: ChangeTasksTable;
  change_approval_requirements: ChangeApprovalRequirementsTable;
  change_approvals: ChangeApprovalsTable;
  cab_boards: CabBoardsTable;
  governance_profiles: GovernanceProfilesTable;
  policy_versions: PolicyVersionsTable;
  deployments: DeploymentsTable;
  deployment_commits: DeploymentCommitsTable;
  environment_inventory: EnvironmentInventoryTable;
  service_aliases: ServiceAliasesTable;
  environment_aliases: EnvironmentAliasesTable;
  inbound_events: InboundEventsTable;
}
