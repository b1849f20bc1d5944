import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { dateTime } from '../releases/releases.schemas.js';
import { keySchema } from '../services/services.schemas.js';

/** How long approvers have to decide when a rule gives no due date. */
export const DEFAULT_DUE_HOURS = 48;
export const MAX_GROUP_MEMBERS = 500;
export const MAX_RULES = 20;
export const MAX_BULK_DECISIONS = 100;
/** A delegation covers an absence, not a standing transfer of authority. */
export const MAX_DELEGATION_DAYS = 366;
export const MAX_MEETING_RANGE_DAYS = 366;

const ref = z.string().trim().min(1).max(320);
const name = z.string().trim().min(1).max(200);
const description = z.string().max(4000);
const comment = z.string().trim().max(4000);

const Person = z.object({ id: z.string(), name: z.string() });
const PersonWithEmail = Person.extend({ email: z.string() });
const GroupRef = z.object({ id: z.string(), key: z.string(), name: z.string() });

// approver groups

export const GroupCreate = z.strictObject({
  key: keySchema,
  name,
  description: description.optional(),
  members: z.array(ref).max(MAX_GROUP_MEMBERS).optional().describe('user ids or e-mail addresses'),
});
export type GroupCreate = z.infer<typeof GroupCreate>;
export const GroupPatch = z.strictObject({ name: name.optional(), description: description.nullable().optional() });
export type GroupPatch = z.infer<typeof GroupPatch>;
export const MembersPut = z.strictObject({ users: z.array(ref).max(MAX_GROUP_MEMBERS).describe('the complete membership: user ids or e-mail addresses') });
export type MembersPut = z.infer<typeof MembersPut>;
export const GroupListQuery = z.strictObject({ ...pageQuery, q: z.string().max(200).optional() });
export type GroupListQuery = z.infer<typeof GroupListQuery>;

export const ApproverGroup = z
  .object({
    id: z.string(), key: z.string(), name: z.string(), description: z.string(), memberCount: z.number().int(),
    version: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
  })
  .meta({ id: 'ApproverGroup' });
export type ApproverGroup = z.infer<typeof ApproverGroup>;
export const ApproverGroupDetail = ApproverGroup.extend({ members: z.array(PersonWithEmail) }).meta({ id: 'ApproverGroupDetail' });
export type ApproverGroupDetail = z.infer<typeof ApproverGroupDetail>;

// delegations

export const DelegationCreate = z.strictObject({
  delegate: ref.describe('user id or e-mail of the person who decides on your behalf'),
  user: ref.optional().describe('whose approvals are delegated (id or e-mail); default: you. Others need delegation:manage_all'),
  startsAt: dateTime,
  endsAt: dateTime.describe(`after startsAt, in the future, at most ${MAX_DELEGATION_DAYS} days after startsAt`),
  reason: z.string().trim().min(1, 'required: say why (e.g. holiday)').max(2000),
});
export type DelegationCreate = z.infer<typeof DelegationCreate>;
export const DelegationListQuery = z.strictObject({
  ...pageQuery,
  active: z.enum(['true', 'false']).optional().describe('true: only delegations in force now'),
  user: ref.optional().describe('delegations given or received by this user (others than you need delegation:manage_all)'),
});
export type DelegationListQuery = z.infer<typeof DelegationListQuery>;
export const Delegation = z
  .object({
    id: z.string(), user: Person, delegate: Person, startsAt: z.string(), endsAt: z.string(), reason: z.string(),
    createdBy: Person.nullable(), createdAt: z.string(), revokedAt: z.string().nullable(), active: z.boolean(),
  })
  .meta({ id: 'Delegation' });
export type Delegation = z.infer<typeof Delegation>;

// approval rules and decisions

export const ApprovalRulesPut = z.strictObject({
  rules: z
    .array(z.strictObject({
      group: ref.describe('approver group id or key'),
      quorum: z.number().int().min(1).max(MAX_GROUP_MEMBERS).nullable().describe('approvals needed; null = every member (those excluded by segregation of duties aside)'),
      dueAt: dateTime.optional().describe(`default: ${DEFAULT_DUE_HOURS} hours from now`),
    }))
    .min(1, 'at least one rule')
    .max(MAX_RULES),
});
export type ApprovalRulesPut = z.infer<typeof ApprovalRulesPut>;

export const DECISIONS = ['approved', 'rejected'] as const;
export type DecisionValue = (typeof DECISIONS)[number];

export const DecisionCreate = z
  .strictObject({
    decision: z.enum(DECISIONS),
    comment: comment.optional().describe('required for a rejection'),
    group: ref.optional().describe('which required group you decide for, when you belong to several'),
  })
  .superRefine((v, ctx) => {
    if (v.decision === 'rejected' && !v.comment) ctx.addIssue({ code: 'custom', path: ['comment'], message: 'required: say why the change is rejected' });
  });
export type DecisionCreate = z.infer<typeof DecisionCreate>;

export const Decision = z
  .object({
    id: z.string(), round: z.number().int(), group: GroupRef, approver: Person, onBehalfOf: Person.nullable(),
    decision: z.enum(DECISIONS), comment: z.string(), decidedAt: z.string(),
  })
  .meta({ id: 'ApprovalDecision' });
export type Decision = z.infer<typeof Decision>;

const Excluded = Person.extend({ reasons: z.array(z.string()).describe('requester, assignee, commit_author') });
export const Requirement = z
  .object({
    id: z.string(), group: GroupRef, quorum: z.number().int().nullable().describe('null = every eligible member'),
    needed: z.number().int(), approvals: z.number().int(), rejections: z.number().int(), met: z.boolean(),
    dueAt: z.string().nullable(), escalatedAt: z.string().nullable(), overdue: z.boolean(), source: z.string(),
    mayApprove: z.array(Person.extend({ delegates: z.array(Person).describe('people deciding on this member’s behalf now') })).describe('members who have not decided and are not excluded'),
    excluded: z.array(Excluded).describe('members who may never approve this change (segregation of duties)'),
  })
  .meta({ id: 'ApprovalRequirement' });
export type Requirement = z.infer<typeof Requirement>;

export const ChangeApprovals = z
  .object({
    change: z.object({ id: z.string(), number: z.string(), state: z.number().int() }),
    round: z.number().int(),
    open: z.boolean().describe('decisions are accepted now: the change is in Authorize and the round is neither rejected nor without rules'),
    met: z.boolean(), rejected: z.boolean(),
    autoApproved: z.string().nullable().describe('set when the governance policy auto-approved the round: which policy and rules'),
    blockers: z.array(z.string()).describe('why the round is not met yet, in words'),
    requirements: z.array(Requirement),
    decisions: z.array(Decision).describe('every round, newest first; only the current round counts'),
  })
  .meta({ id: 'ChangeApprovals' });
export type ChangeApprovals = z.infer<typeof ChangeApprovals>;

export const InboxQuery = z.strictObject({ ...pageQuery });
export type InboxQuery = z.infer<typeof InboxQuery>;
export const InboxItem = z
  .object({
    change: z.object({
      id: z.string(), number: z.string(), title: z.string(), type: z.string(),
      riskLevel: z.string().nullable().describe('the effective level: the override if there is one'),
      plannedStart: z.string().nullable(), plannedEnd: z.string().nullable(), requestedBy: Person.nullable(),
    }),
    round: z.number().int(),
    requirements: z
      .array(z.object({
        group: GroupRef, needed: z.number().int(), approvals: z.number().int(), dueAt: z.string().nullable(), overdue: z.boolean(),
        onBehalfOf: Person.nullable().describe('set when you may decide only for a member who delegated their approvals to you now'),
      }))
      .describe('the unmet requirements of the current round you may decide on now'),
    dueAt: z.string().nullable().describe('the earliest due date among those requirements'),
  })
  .meta({ id: 'ApprovalsInboxItem' });
export type InboxItem = z.infer<typeof InboxItem>;

export const DecisionResult = z.object({ decision: Decision, approvals: ChangeApprovals }).meta({ id: 'ApprovalDecisionResult' });
export type DecisionResult = z.infer<typeof DecisionResult>;

// CAB boards

const localDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'a local date and time YYYY-MM-DDTHH:mm (no offset)');
export const CabCreate = z.strictObject({
  key: keySchema,
  name,
  group: ref.describe('approver group id or key: the board’s members'),
  timeZone: z.string().min(1).max(100).describe('IANA name'),
  firstMeeting: localDateTime.describe('local start of the first meeting, in timeZone'),
  durationMinutes: z.number().int().min(5).max(1440),
  rrule: z.string().trim().min(1).max(500).describe('RFC 5545 RRULE without DTSTART, e.g. FREQ=WEEKLY;BYDAY=TU'),
});
export type CabCreate = z.infer<typeof CabCreate>;
export const CabPatch = z.strictObject({
  name: name.optional(), group: ref.optional(), timeZone: z.string().min(1).max(100).optional(), firstMeeting: localDateTime.optional(),
  durationMinutes: z.number().int().min(5).max(1440).optional(), rrule: z.string().trim().min(1).max(500).optional(),
});
export type CabPatch = z.infer<typeof CabPatch>;
export const CabListQuery = z.strictObject({ ...pageQuery });
export type CabListQuery = z.infer<typeof CabListQuery>;

const Meeting = z.object({ start: z.string(), end: z.string(), localStart: z.string() });
export const CabBoard = z
  .object({
    id: z.string(), key: z.string(), name: z.string(), group: GroupRef, timeZone: z.string(), firstMeeting: z.string(),
    durationMinutes: z.number().int(), rrule: z.string(), nextMeetings: z.array(Meeting).describe('the next 3 meetings'),
    version: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
  })
  .meta({ id: 'CabBoard' });
export type CabBoard = z.infer<typeof CabBoard>;

export const MeetingsQuery = z.strictObject({ from: dateTime.optional().describe('default now'), to: dateTime.optional().describe('default from + 30 days') });
export type MeetingsQuery = z.infer<typeof MeetingsQuery>;
export const Meetings = z.object({ items: z.array(Meeting) });

export const AgendaQuery = z.strictObject({ meeting: dateTime.optional().describe('the meeting’s start; default the next meeting') });
export type AgendaQuery = z.infer<typeof AgendaQuery>;
export const AgendaItem = z.object({
  change: z.object({
    id: z.string(), number: z.string(), title: z.string(), type: z.string(), riskLevel: z.string().nullable(),
    plannedStart: z.string().nullable(), plannedEnd: z.string().nullable(), requestedBy: Person.nullable(),
  }),
  round: z.number().int(),
  needs: z
    .array(z.object({
      group: GroupRef, needed: z.number().int(), approvals: z.number().int(), met: z.boolean(),
      mayApprove: z.array(Person).describe('members who may still approve: not decided, not excluded; empty once met'),
      excluded: z.array(Excluded).describe('members who may never approve this change (segregation of duties)'),
    }))
    .describe('every requirement of the round'),
});
export const Agenda = z
  .object({
    board: GroupRef, meeting: Meeting, nextMeeting: Meeting.nullable(),
    items: z.array(AgendaItem).describe('changes in Authorize needing the board’s group, planned to start before the next meeting (or unplanned); very high risk first, then by planned start'),
  })
  .meta({ id: 'CabAgenda' });
export type Agenda = z.infer<typeof Agenda>;

export const BulkDecisions = z.strictObject({
  decisions: z
    .array(z.strictObject({ change: ref.describe('change id or number'), decision: z.enum(DECISIONS), comment: comment.optional() }))
    .min(1)
    .max(MAX_BULK_DECISIONS),
});
export type BulkDecisions = z.infer<typeof BulkDecisions>;
export const BulkResult = z.object({
  items: z.array(z.object({
    change: z.string(), ok: z.boolean(), decision: Decision.nullable(),
    problem: z.object({ status: z.number().int(), code: z.string(), detail: z.string() }).nullable(),
  })),
});
export type BulkResult = z.infer<typeof BulkResult>;
