import { z } from 'zod';

const noControl = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
export const CRITERION_KINDS = ['all_scope_done', 'no_open_blockers', 'change_approved', 'deployment_succeeded', 'manual_signoff', 'custom_check'] as const;
export const GATE_STATUSES = ['pending', 'passed', 'failed', 'waived'] as const;
const CRITERION_STATUSES = ['pending', 'passed', 'failed'] as const;

export const GateParams = z.strictObject({ id: z.uuid() });
export const CriterionParams = z.strictObject({ id: z.uuid(), criterionId: z.uuid() });

export const SignoffCreate = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(4000).regex(noControl, 'no control characters').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.decision === 'reject' && !v.comment) ctx.addIssue({ code: 'custom', path: ['comment'], message: 'required when rejecting: say what must change' });
  });
export type SignoffCreate = z.infer<typeof SignoffCreate>;

export const WaiverCreate = z.strictObject({
  reason: z.string().trim().min(10, 'state why the gate may be skipped (at least 10 characters)').max(4000).regex(noControl, 'no control characters'),
});
export type WaiverCreate = z.infer<typeof WaiverCreate>;

export const CheckReportCreate = z.strictObject({
  passed: z.boolean().optional().describe('required unless the criterion has a minimum; then it is computed from value ≥ min'),
  value: z.number().finite().min(-1e12).max(1e12).optional().describe('the measured value, e.g. 98.7 for a test pass rate'),
  detail: z.string().trim().max(2000).regex(noControl, 'no control characters').optional(),
});
export type CheckReportCreate = z.infer<typeof CheckReportCreate>;

const Person = z.object({ id: z.string(), name: z.string() });
const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const Criterion = z.object({
  id: z.string(),
  position: z.number().int(),
  kind: z.enum(CRITERION_KINDS),
  config: z.record(z.string(), z.unknown()),
  status: z.enum(CRITERION_STATUSES),
  detail: z.string(),
  evaluatedAt: z.string().nullable(),
  latestReport: z
    .object({ passed: z.boolean(), value: z.number().nullable(), detail: z.string(), reportedAt: z.string() })
    .nullable()
    .optional()
    .describe('custom_check only'),
});

export const Gate = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    release: Ref.extend({ status: z.string() }),
    afterPhaseId: z.string().nullable(),
    plannedAt: z.string().nullable(),
    status: z.enum(GATE_STATUSES),
    evaluatedAt: z.string().nullable(),
    waiver: z.object({ reason: z.string(), by: Person.nullable(), at: z.string() }).nullable(),
    criteria: z.array(Criterion),
    signoff: z
      .object({
        required: z.boolean().describe('the gate has a manual_signoff criterion'),
        approverTeam: Ref.nullable(),
        quorum: z.number().int(),
        approvals: z.number().int(),
        rejections: z.number().int(),
        decisions: z.array(z.object({ user: Person, decision: z.enum(['approve', 'reject']), comment: z.string(), decidedAt: z.string() })),
        pendingApprovers: z
          .array(Person)
          .nullable()
          .describe('team members who may still sign; null when the gate has no approver team (anyone holding gate:signoff may sign)'),
      }),
    version: z.number().int(),
  })
  .meta({ id: 'Gate' });
export type Gate = z.infer<typeof Gate>;
