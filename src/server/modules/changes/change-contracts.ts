/**
 * What the change modules ask of each other (docs/decisions/0009-change-management.md). `changes`
 * owns change requests and their state machine; `approvals` owns approver groups, approval rounds
 * and decisions; `change-risk` owns risk and conflict detection. Each implements one interface here
 * and receives the others from the composition root, so none imports another's service.
 */
import type { Executor } from '../../db/tx.js';
import type { ChangeStateValue, ChangeType, RiskLevel } from '../../db/schema.js';
import type { Actor } from '../identity/permissions.js';

export const CHANGE_STATES = { new: -5, assess: -4, authorize: -3, scheduled: -2, implement: -1, review: 0, closed: 3, canceled: 4 } as const;
export type ChangeStateName = keyof typeof CHANGE_STATES;

/** A change as the other modules see it (ids, not keys). */
export interface ChangeSnapshot {
  id: string;
  number: string;
  type: ChangeType;
  state: ChangeStateValue;
  title: string;
  requestedBy: string | null;
  assigneeId: string | null;
  assignmentTeamId: string | null;
  releaseId: string | null;
  approvalRound: number;
  plannedStart: Date | null;
  plannedEnd: Date | null;
  serviceIds: string[];
  environmentIds: string[];
  workItemCount: number;
  riskLevel: RiskLevel | null;
  /** the governance policy's verdict; null = no profile applies (built-in defaults) */
  policy: PolicyVerdict | null;
}

/** Implemented by `changes`, used by `approvals`. */
export interface ChangeWorkflow {
  /** the change, locked for update when asked (inside the caller's transaction) */
  load(tx: Executor, changeId: string, opts?: { forUpdate?: boolean }): Promise<ChangeSnapshot | undefined>;
  /** a rejection sends the change back to New (history row, audit, event, version bump) */
  returnToNew(tx: Executor, change: ChangeSnapshot, actor: Actor, reason: string): Promise<void>;
}

export interface RoundStatus {
  round: number;
  /** every requirement of the round has its quorum of approvals */
  met: boolean;
  rejected: boolean;
  requirements: { groupId: string; groupKey: string; quorum: number | null; needed: number; approvals: number }[];
}

/** Implemented by `approvals`, used by `changes`. */
export interface ApprovalGate {
  /** on entering Authorize (or a new round after a material edit): create the round's requirements */
  openRound(tx: Executor, change: ChangeSnapshot, actor: Actor): Promise<void>;
  status(tx: Executor, change: ChangeSnapshot): Promise<RoundStatus>;
}

export interface RiskFactor {
  /** e.g. service_tier, environment_tier, change_size, emergency, conflicts, time_of_week, failure_rate, blast_radius */
  factor: string;
  /** points added to the score */
  points: number;
  /** why, in words: "tier 1 service payments-api" */
  detail: string;
}

export interface RiskAssessment {
  score: number;
  level: RiskLevel;
  factors: RiskFactor[];
  /** what the policy reads besides the level: the most critical service and environment, the failure rate */
  facts: AssessedFacts;
}

export interface AssessedFacts {
  /** 1 = most critical; null without services */
  serviceTier: number | null;
  environmentTier: 'development' | 'testing' | 'staging' | 'production' | null;
  /** unsuccessful ÷ closed changes of the services over 90 days; null when none closed */
  changeFailureRate90d: number | null;
}

export interface ChangeConflict {
  kind: 'change_overlap' | 'dependency_overlap' | 'blackout' | 'freeze' | 'outside_maintenance' | 'assignee_double_booked';
  /** the other change, or the window */
  with: { type: 'change' | 'window'; id: string; label: string };
  start: string | null;
  end: string | null;
  detail: string;
}

/** Implemented by `change-risk`, used by `changes` (on create, on edits of window/services/environments, on demand). */
export interface ChangeAssessor {
  conflicts(tx: Executor, change: ChangeSnapshot): Promise<ChangeConflict[]>;
  risk(tx: Executor, change: ChangeSnapshot, conflicts: ChangeConflict[]): Promise<RiskAssessment>;
  /** conflicts, then risk counting them, reading the scope's facts once (what the changes module uses) */
  assess(tx: Executor, change: ChangeSnapshot): Promise<{ conflicts: ChangeConflict[]; risk: RiskAssessment }>;
}

/** The facts a policy decides a change on. */
export interface ChangePolicyFacts extends AssessedFacts {
  changeType: ChangeType;
  riskLevel: RiskLevel | null;
  riskScore: number | null;
  /** known from pipeline evidence (deployments); null for a change raised by hand */
  testsPassed: boolean | null;
}

/**
 * What the governance policies of a change's services decided. With several profiles the strictest
 * part wins: any block blocks, auto-approval needs all, approvals are the union (largest quorum).
 */
export interface PolicyVerdict {
  profiles: { profile: string; version: number; fired: string[]; fromDefaults: string[] }[];
  changeType: ChangeType;
  approvals: { group: string; quorum: number | null }[];
  autoApprove: boolean;
  windows: 'respect' | 'ignore';
  block: string | null;
  facts: ChangePolicyFacts;
  evaluatedAt: string;
}

/** Implemented by `governance`, used by `changes` whenever it assesses a change. */
export interface ChangeGovernor {
  /** null when none of the services has a governance profile with an active policy */
  evaluate(tx: Executor, serviceIds: string[], facts: ChangePolicyFacts): Promise<PolicyVerdict | null>;
}
