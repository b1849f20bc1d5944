import { z } from 'zod';
import { pageQuery, sortParam } from '../../lib/keyset.js';
import { CRITERION_KINDS, CriterionInput } from '../release-templates/release-templates.schemas.js';
import { keySchema } from '../services/services.schemas.js';

export const RELEASE_TYPES = ['enterprise', 'project', 'independent'] as const;
export const RELEASE_STATUSES = ['draft', 'planned', 'in_progress', 'released', 'canceled'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
export type ReleaseType = (typeof RELEASE_TYPES)[number];

const name = z.string().trim().min(1, 'required').max(200);
const ref = z.string().min(1).max(100);
const MIN_DATE = Date.UTC(1900, 0, 1);
// far enough from year 10000 that phases laid out from a template (at most 50 × 365 days) stay in 4-digit years
const MAX_DATE = Date.UTC(9000, 0, 1);
/** RFC 3339 with offset; refuses dates the calendar does not have, and years outside 1900–8999. */
export const dateTime = z.iso.datetime({ offset: true }).refine((s) => {
  const t = Date.parse(s);
  return !Number.isNaN(t) && t >= MIN_DATE && t < MAX_DATE;
}, 'not a valid date between 1900 and 8999');

export const PhaseInput = z.strictObject({
  key: keySchema,
  name,
  position: z.number().int().min(1).max(1000).optional().describe('order in the release; default: after the last phase'),
  plannedStart: dateTime.nullable().optional(),
  plannedEnd: dateTime.nullable().optional(),
  environments: z.array(ref).max(20).optional().describe('environment ids or keys'),
});
export type PhaseInput = z.infer<typeof PhaseInput>;

export const PhasePatch = z.strictObject({
  name: name.optional(),
  position: z.number().int().min(1).max(1000).optional(),
  plannedStart: dateTime.nullable().optional(),
  plannedEnd: dateTime.nullable().optional(),
  actualStart: dateTime.nullable().optional(),
  actualEnd: dateTime.nullable().optional(),
  environments: z.array(ref).max(20).nullable().optional(),
});
export type PhasePatch = z.infer<typeof PhasePatch>;

export const GateInput = z.strictObject({
  key: keySchema,
  name,
  afterPhase: keySchema.nullable().optional().describe('key of the phase this gate closes; null = before the first phase'),
  plannedAt: dateTime.nullable().optional().describe('default: the planned end of afterPhase'),
  approverTeamId: z.uuid().nullable().optional(),
  quorum: z.number().int().min(1).max(50).optional(),
  criteria: z.array(CriterionInput).max(20).optional(),
});
export type GateInput = z.infer<typeof GateInput>;

export const GatePatch = z.strictObject({
  name: name.optional(),
  afterPhase: keySchema.nullable().optional(),
  plannedAt: dateTime.nullable().optional(),
  approverTeamId: z.uuid().nullable().optional(),
  quorum: z.number().int().min(1).max(50).optional(),
  criteria: z.array(CriterionInput).max(20).nullable().optional().describe('replaces all criteria (their evaluation starts again)'),
});
export type GatePatch = z.infer<typeof GatePatch>;

const ServiceInScope = z.union([ref, z.strictObject({ service: ref.describe('service id or key'), version: z.string().max(100).nullable().optional() })]);

export const ReleaseCreate = z.strictObject({
  // /releases/templates is the web UI's template page
  key: keySchema.refine((k) => k !== 'templates', 'reserved: choose another key'),
  name,
  releaseVersion: z.string().max(100).optional().describe('the version being released, e.g. 2026.3'),
  type: z.enum(RELEASE_TYPES),
  parentId: ref.nullable().optional().describe('id or key of the enterprise release this project release belongs to'),
  services: z.array(ServiceInScope).max(200).optional().describe('service ids or keys, optionally with the version released'),
  ownerTeamId: z.uuid().nullable().optional(),
  plannedStart: dateTime.nullable().optional(),
  plannedEnd: dateTime.nullable().optional(),
  description: z.string().max(10_000).optional(),
  templateId: z.uuid().optional().describe('create from this template (needs plannedStart)'),
  templateKey: keySchema.optional().describe('create from the template with this key (needs plannedStart)'),
  phases: z.array(PhaseInput).max(50).optional(),
  gates: z.array(GateInput).max(50).optional(),
  dependsOn: z.array(ref).max(100).optional().describe('releases this one needs (ids or keys)'),
});
export type ReleaseCreate = z.infer<typeof ReleaseCreate>;

export const ReleasePatch = z.strictObject({
  name: name.optional(),
  releaseVersion: z.string().max(100).nullable().optional(),
  type: z.enum(RELEASE_TYPES).optional(),
  parentId: ref.nullable().optional(),
  services: z.array(ServiceInScope).max(200).nullable().optional(),
  ownerTeamId: z.uuid().nullable().optional(),
  plannedStart: dateTime.nullable().optional(),
  plannedEnd: dateTime.nullable().optional(),
  description: z.string().max(10_000).nullable().optional(),
});
export type ReleasePatch = z.infer<typeof ReleasePatch>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });
const Reason = z.object({ code: z.string(), message: z.string() });

export const Phase = z
  .object({
    id: z.string(), key: z.string(), name: z.string(), position: z.number().int(),
    plannedStart: z.string().nullable(), plannedEnd: z.string().nullable(), actualStart: z.string().nullable(), actualEnd: z.string().nullable(),
    environments: z.array(Ref), version: z.number().int(),
  })
  .meta({ id: 'ReleasePhase' });
export type Phase = z.infer<typeof Phase>;

export const Criterion = z.object({
  id: z.string(), position: z.number().int(), kind: z.enum(CRITERION_KINDS), config: z.record(z.string(), z.unknown()),
  status: z.enum(['pending', 'passed', 'failed']), detail: z.string(),
});

export const Gate = z
  .object({
    id: z.string(), key: z.string(), name: z.string(), afterPhase: z.string().nullable(), plannedAt: z.string().nullable(),
    status: z.enum(['pending', 'passed', 'failed', 'waived']), approverTeam: Ref.nullable(), quorum: z.number().int(),
    pushedFromGateId: z.string().nullable(), criteria: z.array(Criterion), version: z.number().int(),
  })
  .meta({ id: 'ReleaseGate' });
export type Gate = z.infer<typeof Gate>;

export const Release = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    releaseVersion: z.string(),
    type: z.enum(RELEASE_TYPES),
    status: z.enum(RELEASE_STATUSES),
    parent: Ref.nullable(),
    ownerTeam: Ref.nullable(),
    description: z.string(),
    plannedStart: z.string().nullable(),
    plannedEnd: z.string().nullable(),
    actualStart: z.string().nullable(),
    actualEnd: z.string().nullable(),
    plannedAt: z.string().nullable().describe('when it entered Planned'),
    templateId: z.string().nullable(),
    templateVersion: z.number().int().nullable(),
    services: z.array(Ref.extend({ version: z.string().nullable() })),
    dependsOn: z.array(Ref),
    phases: z.array(Phase),
    gates: z.array(Gate),
    scope: z.object({ total: z.number().int(), done: z.number().int() }),
    health: z.object({ status: z.enum(['on_track', 'at_risk', 'late']), reasons: z.array(Reason) }),
    warnings: z.array(Reason).describe('contradictions worth a look, e.g. a dependency planned to end after this release'),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Release' });
export type Release = z.infer<typeof Release>;

export const RELEASE_SORTS = ['key', 'name', 'updatedAt'] as const;
export type ReleaseSort = (typeof RELEASE_SORTS)[number];

export const ReleaseListQuery = z.strictObject({
  ...pageQuery,
  sort: sortParam(RELEASE_SORTS, 'key'),
  q: z.string().max(200).optional().describe('text search in key, name and description'),
  type: z.enum(RELEASE_TYPES).optional(),
  status: z.enum(RELEASE_STATUSES).optional(),
  team: z.string().max(100).optional().describe('owner team id or key'),
  parent: z.string().max(100).optional().describe('parent release id or key'),
});
export type ReleaseListQuery = z.infer<typeof ReleaseListQuery>;

export const TransitionInput = z.strictObject({ to: z.enum(RELEASE_STATUSES), reason: z.string().max(2000).optional() });
export type TransitionInput = z.infer<typeof TransitionInput>;

export const NextStatuses = z.object({
  status: z.enum(RELEASE_STATUSES),
  next: z.array(z.object({ status: z.enum(RELEASE_STATUSES), roles: z.array(z.string()), allowed: z.boolean().describe('whether you may make it') })),
});

export const TransitionRule = z.strictObject({
  releaseType: z.enum(RELEASE_TYPES),
  from: z.enum(RELEASE_STATUSES),
  to: z.enum(RELEASE_STATUSES),
  roles: z.array(z.string().max(40)).min(1).max(10),
});
export type TransitionRule = z.infer<typeof TransitionRule>;
export const TransitionRulesPut = z.strictObject({
  items: z.array(TransitionRule).max(200).describe('replaces the rules of every release type that appears here'),
});
export type TransitionRulesPut = z.infer<typeof TransitionRulesPut>;
export const TransitionRules = z.object({ items: z.array(TransitionRule), nextCursor: z.null() }).meta({ id: 'ReleaseTransitionRules' });

export const DependenciesPut = z.strictObject({ dependsOn: z.array(ref).max(100) });
export type DependenciesPut = z.infer<typeof DependenciesPut>;

export const PushDownResult = z.object({
  pushed: z.array(z.string()).describe('child release keys that received the gate now'),
  alreadyPresent: z.array(z.string()),
  skipped: z.array(Reason.extend({ release: z.string() })),
});

export const PhaseParams = z.strictObject({ ref: ref.describe('release id or key'), phaseKey: z.string().min(1).max(100) });
export const GateParams = z.strictObject({ ref: ref.describe('release id or key'), gateKey: z.string().min(1).max(100) });
