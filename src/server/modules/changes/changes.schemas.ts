import { z } from 'zod';
import { pageQuery, sortParam } from '../../lib/keyset.js';
import { dateTime } from '../releases/releases.schemas.js';
import { keySchema } from '../services/services.schemas.js';
import { CHANGE_STATES, type ChangeStateName } from './change-contracts.js';

export const CHANGE_TYPES = ['standard', 'normal', 'emergency'] as const;
export const STATE_NAMES = Object.keys(CHANGE_STATES) as ChangeStateName[];
export const IMPACTS = ['low', 'medium', 'high'] as const;
export const SECURITY_LEVELS = ['none', 'low', 'high'] as const;
export const CLOSE_CODES = ['successful', 'successful_with_issues', 'unsuccessful'] as const;
export const RISK_LEVELS = ['low', 'moderate', 'high', 'very_high'] as const;

const STATE_BY_VALUE = new Map<number, ChangeStateName>(Object.entries(CHANGE_STATES).map(([n, v]) => [v, n as ChangeStateName]));
export const stateName = (value: number): ChangeStateName => STATE_BY_VALUE.get(value)!;

/** A state by name ('assess') or by ServiceNow's value (-4 or "-4"). */
export const StateRef = z
  .union([z.string().max(20), z.number().int()])
  .transform((raw, ctx): ChangeStateName => {
    const s = String(raw).trim().toLowerCase();
    if ((STATE_NAMES as string[]).includes(s)) return s as ChangeStateName;
    if (/^-?\d{1,2}$/.test(s) && STATE_BY_VALUE.has(Number(s))) return STATE_BY_VALUE.get(Number(s))!;
    ctx.addIssue({ code: 'custom', message: `unknown state: use one of ${STATE_NAMES.map((n) => `${n} (${CHANGE_STATES[n]})`).join(', ')}` });
    return z.NEVER;
  })
  .describe(`state name or ServiceNow value: ${STATE_NAMES.map((n) => `${n}=${CHANGE_STATES[n]}`).join(', ')}`);

const title = z.string().trim().min(1, 'required').max(200);
const text = z.string().max(20_000);
const ref = z.string().min(1).max(100);
const SecurityImpact = z.strictObject({ level: z.enum(SECURITY_LEVELS), notes: z.string().max(10_000).optional() });

const editable = {
  title: title.optional(),
  description: text.optional(),
  justification: text.optional(),
  impact: z.enum(IMPACTS).nullable().optional(),
  securityImpact: SecurityImpact.nullable().optional().describe('required before Authorize when a production environment is in scope'),
  implementationPlan: text.optional(),
  backoutPlan: text.optional().describe('required before Authorize for normal and emergency changes'),
  testPlan: text.optional(),
  plannedStart: dateTime.nullable().optional(),
  plannedEnd: dateTime.nullable().optional(),
  services: z.array(ref).max(100).optional().describe('service ids or keys'),
  environments: z.array(ref).max(50).optional().describe('environment ids or keys'),
  release: ref.nullable().optional().describe('release id or key'),
  workItems: z.array(z.uuid()).max(500).optional().describe('work item ids'),
  assignmentTeam: ref.nullable().optional().describe('team id or key'),
  assignee: z.uuid().nullable().optional().describe('user id'),
  emergencyReason: z.string().trim().min(1, 'required').max(4000).optional().describe('required for emergency changes'),
};

export const ChangeCreate = z.strictObject({
  type: z.enum(CHANGE_TYPES),
  ...editable,
  templateId: z.uuid().optional().describe('standard changes: the template it is made from'),
  templateKey: keySchema.optional().describe('standard changes: the template it is made from, by key'),
});
export type ChangeCreate = z.infer<typeof ChangeCreate>;

export const ChangePatch = z.strictObject({
  ...editable,
  services: editable.services.nullable(),
  environments: editable.environments.nullable(),
  workItems: editable.workItems.nullable(),
  emergencyReason: editable.emergencyReason,
  actualStart: dateTime.nullable().optional().describe('from Implement on'),
  actualEnd: dateTime.nullable().optional().describe('from Implement on'),
  closeCode: z.enum(CLOSE_CODES).nullable().optional().describe('from Implement on'),
  closeNotes: text.optional(),
  onHold: z.boolean().optional(),
  onHoldReason: z.string().max(2000).optional(),
});
export type ChangePatch = z.infer<typeof ChangePatch>;

export const TransitionInput = z.strictObject({
  to: StateRef,
  comment: z.string().max(4000).optional(),
  actualStart: dateTime.optional().describe('for Review'),
  actualEnd: dateTime.optional().describe('for Review'),
  closeCode: z.enum(CLOSE_CODES).optional().describe('for Review'),
  closeNotes: text.optional(),
});
export type TransitionInput = z.infer<typeof TransitionInput>;

export const RiskOverrideInput = z.strictObject({
  level: z.enum(RISK_LEVELS),
  reason: z.string().trim().min(1, 'required').max(4000),
});
export type RiskOverrideInput = z.infer<typeof RiskOverrideInput>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });
const State = z.object({ name: z.enum(STATE_NAMES as [ChangeStateName, ...ChangeStateName[]]), value: z.number().int() });
const RiskFactor = z.object({ factor: z.string(), points: z.number(), detail: z.string() });
const Conflict = z.object({
  kind: z.string(), with: z.object({ type: z.string(), id: z.string(), label: z.string() }), start: z.string().nullable(), end: z.string().nullable(), detail: z.string(),
});

export const PolicyVerdict = z
  .object({
    profiles: z.array(z.object({ profile: z.string(), version: z.number().int(), fired: z.array(z.string()).describe('rules whose condition held, in order'), fromDefaults: z.array(z.string()).describe("parts of the decision taken from the policy's defaults") })),
    changeType: z.enum(CHANGE_TYPES).describe('the type the policy asks for; gates create changes of this type'),
    approvals: z.array(z.object({ group: z.string(), quorum: z.number().int().nullable() })),
    autoApprove: z.boolean().describe('Authorize is met without approvals (unless approval rules were set by hand)'),
    windows: z.enum(['respect', 'ignore']),
    block: z.string().nullable().describe('why the change may not go ahead; blocks every move forward from New'),
    facts: z.object({
      changeType: z.enum(CHANGE_TYPES), riskLevel: z.enum(RISK_LEVELS).nullable(), riskScore: z.number().nullable(), serviceTier: z.number().int().nullable(),
      environmentTier: z.enum(['development', 'testing', 'staging', 'production']).nullable(), changeFailureRate90d: z.number().nullable(), testsPassed: z.boolean().nullable(),
    }).describe('the facts the policy saw (null = not known, satisfies no test)'),
    evaluatedAt: z.string(),
  })
  .meta({ id: 'ChangePolicyVerdict', description: "What the governance policies of the change's services decided; null when none applies" });

export const ChangeTask = z
  .object({
    id: z.string(), kind: z.enum(['post_implementation_review', 'task']), title: z.string(), dueAt: z.string().nullable(),
    status: z.enum(['open', 'done', 'canceled']), assigneeId: z.string().nullable(), completedAt: z.string().nullable(), createdAt: z.string(),
  })
  .meta({ id: 'ChangeTask' });
export type ChangeTask = z.infer<typeof ChangeTask>;

export const Change = z
  .object({
    id: z.string(),
    number: z.string(),
    type: z.enum(CHANGE_TYPES),
    state: State,
    title: z.string(),
    description: z.string(),
    justification: z.string(),
    impact: z.enum(IMPACTS).nullable(),
    securityImpact: z.object({ level: z.enum(SECURITY_LEVELS), notes: z.string() }).nullable(),
    implementationPlan: z.string(),
    backoutPlan: z.string(),
    testPlan: z.string(),
    plannedStart: z.string().nullable(),
    plannedEnd: z.string().nullable(),
    actualStart: z.string().nullable(),
    actualEnd: z.string().nullable(),
    closeCode: z.enum(CLOSE_CODES).nullable(),
    closeNotes: z.string(),
    onHold: z.boolean(),
    onHoldReason: z.string(),
    emergencyReason: z.string().nullable(),
    services: z.array(Ref),
    environments: z.array(Ref.extend({ tier: z.string() })),
    release: Ref.nullable(),
    workItems: z.array(z.object({ id: z.string(), source: z.string(), externalKey: z.string(), title: z.string() })),
    assignmentTeam: Ref.nullable(),
    assignee: z.object({ id: z.string(), name: z.string() }).nullable(),
    requestedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    template: z.object({ id: z.string(), key: z.string(), name: z.string(), version: z.number().int() }).nullable(),
    risk: z.object({
      level: z.enum(RISK_LEVELS).nullable().describe('computed'),
      score: z.number().nullable(),
      factors: z.array(RiskFactor),
      override: z.object({ level: z.enum(RISK_LEVELS), reason: z.string(), by: z.string().nullable(), byName: z.string(), at: z.string() }).nullable(),
      effectiveLevel: z.enum(RISK_LEVELS).nullable().describe('the override if there is one, else the computed level'),
    }),
    conflicts: z.array(Conflict),
    conflictsCheckedAt: z.string().nullable(),
    policy: PolicyVerdict.nullable(),
    approvalRound: z.number().int(),
    tasks: z.array(ChangeTask),
    externalRefs: z.record(z.string(), z.unknown()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Change' });
export type Change = z.infer<typeof Change>;

export const CHANGE_SORTS = ['number', 'updatedAt'] as const;
export type ChangeSort = (typeof CHANGE_SORTS)[number];

export const ChangeListQuery = z.strictObject({
  ...pageQuery,
  sort: sortParam(CHANGE_SORTS, 'number'),
  q: z.string().max(200).optional().describe('text search in number, title and description'),
  state: StateRef.optional(),
  type: z.enum(CHANGE_TYPES).optional(),
  service: ref.optional().describe('service id or key'),
  environment: ref.optional().describe('environment id or key'),
  release: ref.optional().describe('release id or key'),
  assignee: z.uuid().optional().describe('user id'),
});
export type ChangeListQuery = z.infer<typeof ChangeListQuery>;

export const NextStates = z
  .object({
    state: State,
    next: z.array(
      State.extend({
        ready: z.boolean().describe('whether every requirement of this transition is met now'),
        missing: z.array(z.object({ path: z.string(), message: z.string() })),
      }),
    ),
  })
  .meta({ id: 'ChangeNextStates' });
export type NextStates = z.infer<typeof NextStates>;

export const HistoryEntry = z
  .object({ id: z.string(), from: State.nullable(), to: State, actor: z.object({ id: z.string().nullable(), name: z.string() }), comment: z.string(), at: z.string() })
  .meta({ id: 'ChangeStateTransition' });
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export const ChangeRefParams = z.strictObject({ ref: ref.describe('change id or number (CHG0000001)') });
export const TaskParams = z.strictObject({ ref: ref.describe('change id or number'), taskId: z.uuid() });

// standard change templates
const TemplateDefaults = z.strictObject({
  title: title.optional(),
  description: text.optional(),
  implementationPlan: text.optional(),
  backoutPlan: text.optional(),
  testPlan: text.optional(),
  impact: z.enum(IMPACTS).optional(),
});
export const TemplateDefinition = z.strictObject({
  defaults: TemplateDefaults.default({}),
  services: z.array(keySchema).max(100).default([]).describe('service keys a change from this template may touch (empty: any)'),
  environments: z.array(keySchema).max(50).default([]).describe('environment keys it may run in (empty: any)'),
  maxDurationMinutes: z.number().int().min(1).max(10_080).optional().describe('longest planned window allowed'),
});
export type TemplateDefinition = z.infer<typeof TemplateDefinition>;

export const ChangeTemplateCreate = z.strictObject({
  key: keySchema,
  name: title,
  description: z.string().max(4000).optional(),
  active: z.boolean().optional(),
  definition: TemplateDefinition,
});
export type ChangeTemplateCreate = z.infer<typeof ChangeTemplateCreate>;

export const ChangeTemplatePatch = z.strictObject({
  name: title.optional(),
  description: z.string().max(4000).nullable().optional(),
  active: z.boolean().optional(),
  definition: TemplateDefinition.optional().describe('a new definition is stored as a new template version'),
});
export type ChangeTemplatePatch = z.infer<typeof ChangeTemplatePatch>;

export const ChangeTemplate = z
  .object({
    id: z.string(), key: z.string(), name: z.string(), description: z.string(), active: z.boolean(),
    templateVersion: z.number().int().describe('+1 per definition change; changes record the one they were made from'),
    definition: z.object({
      defaults: z.object({ title: z.string().optional(), description: z.string().optional(), implementationPlan: z.string().optional(), backoutPlan: z.string().optional(), testPlan: z.string().optional(), impact: z.enum(IMPACTS).optional() }),
      services: z.array(z.string()), environments: z.array(z.string()), maxDurationMinutes: z.number().int().optional(),
    }),
    version: z.number().int(), createdAt: z.string(), updatedAt: z.string(),
  })
  .meta({ id: 'ChangeTemplate' });
export type ChangeTemplate = z.infer<typeof ChangeTemplate>;

export const ChangeTemplateListQuery = z.strictObject({
  ...pageQuery,
  active: z.enum(['true', 'false']).optional(),
});
export type ChangeTemplateListQuery = z.infer<typeof ChangeTemplateListQuery>;
