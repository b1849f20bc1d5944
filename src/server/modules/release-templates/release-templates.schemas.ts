import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { keySchema } from '../services/services.schemas.js';

const name = z.string().trim().min(1, 'required').max(200);
const ref = z.string().min(1).max(100);

export const CRITERION_KINDS = ['all_scope_done', 'no_open_blockers', 'change_approved', 'deployment_succeeded', 'manual_signoff', 'custom_check'] as const;

/** One gate criterion; `config` is kind-specific (e.g. {environment: 'prod'} or {metric: 'pass_rate', min: 98}). */
export const CriterionInput = z.strictObject({
  kind: z.enum(CRITERION_KINDS),
  config: z.record(z.string().max(100), z.unknown()).optional().describe('kind-specific settings'),
});
export type CriterionInput = z.infer<typeof CriterionInput>;

export const TemplatePhase = z.strictObject({
  key: keySchema,
  name,
  environments: z.array(ref).max(20).optional().describe('environment keys'),
  defaultDurationDays: z.number().int().min(1).max(365),
});

export const TemplateGate = z.strictObject({
  key: keySchema,
  name,
  afterPhase: keySchema.nullable().optional().describe('key of the phase this gate closes; null = before the first phase'),
  criteria: z.array(CriterionInput).max(20).optional(),
  approverTeam: ref.nullable().optional().describe('team key of the sign-off group'),
  quorum: z.number().int().min(1).max(50).optional(),
});

export const TemplateDefinition = z
  .strictObject({
    phases: z.array(TemplatePhase).min(1).max(50),
    gates: z.array(TemplateGate).max(50).optional(),
    runbook: z.array(z.strictObject({ title: name, owner: z.string().max(200).optional() })).max(200).optional().describe('runbook task placeholders'),
  })
  .meta({ id: 'ReleaseTemplateDefinition' });
export type TemplateDefinition = z.infer<typeof TemplateDefinition>;

export const ReleaseTemplateCreate = z.strictObject({
  key: keySchema,
  name,
  description: z.string().max(4000).optional(),
  definition: TemplateDefinition,
});
export type ReleaseTemplateCreate = z.infer<typeof ReleaseTemplateCreate>;

export const ReleaseTemplatePatch = z.strictObject({
  name: name.optional(),
  description: z.string().max(4000).nullable().optional(),
  definition: TemplateDefinition.optional().describe('a changed definition is saved as a new template version'),
});
export type ReleaseTemplatePatch = z.infer<typeof ReleaseTemplatePatch>;

export const ReleaseTemplate = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    templateVersion: z.number().int().describe('+1 per definition change; releases record the one they were made from'),
    definition: TemplateDefinition,
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ReleaseTemplate' });
export type ReleaseTemplate = z.infer<typeof ReleaseTemplate>;

export const ReleaseTemplateListQuery = z.strictObject({
  ...pageQuery,
  q: z.string().max(200).optional().describe('text search in key, name and description'),
});
export type ReleaseTemplateListQuery = z.infer<typeof ReleaseTemplateListQuery>;
