import { z } from 'zod';
import { keySchema } from '../services/services.schemas.js';
import { CHANGE_TYPES, ENVIRONMENT_TIERS, RISK_LEVELS } from './policy-document.js';

export const ProfileParams = z.strictObject({ key: z.string().min(1).max(63) });
export const ProfileKeyParams = z.strictObject({ profileKey: z.string().min(1).max(63) });
export const VersionParams = z.strictObject({ profileKey: z.string().min(1).max(63), n: z.coerce.number().int().min(1) });

export const PolicyInput = z.strictObject({
  format: z.enum(['json', 'yaml']),
  source: z.string().min(1).max(200_000).describe('the policy document as JSON or YAML text'),
  activate: z.boolean().optional().describe('make this version the active one (default: saved as a draft)'),
});
export type PolicyInput = z.infer<typeof PolicyInput>;

export const PolicyValidateInput = PolicyInput.omit({ activate: true });
export type PolicyValidateInput = z.infer<typeof PolicyValidateInput>;

export const PolicyValidation = z.object({
  valid: z.boolean(),
  errors: z.array(z.object({ path: z.string().describe('JSON pointer into the document'), message: z.string() })),
  document: z.record(z.string(), z.unknown()).optional().describe('the parsed document, when valid'),
}).meta({ id: 'PolicyValidation' });
export type PolicyValidation = z.infer<typeof PolicyValidation>;

export const ProfileCreate = z.strictObject({
  key: keySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  policy: PolicyInput.optional(),
});
export type ProfileCreate = z.infer<typeof ProfileCreate>;

export const PolicyVersion = z.object({
  profile: z.string(),
  version: z.number().int(),
  format: z.enum(['json', 'yaml']),
  status: z.enum(['draft', 'active', 'retired']),
  source: z.string(),
  document: z.unknown(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
}).meta({ id: 'PolicyVersion' });
export type PolicyVersion = z.infer<typeof PolicyVersion>;

export const GovernanceProfile = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  description: z.string(),
  currentVersion: z.number().int().nullable().describe('the active policy version'),
  latestVersion: z.number().int().nullable(),
  policy: PolicyVersion.nullable().describe('the active policy version'),
  services: z.array(z.string()).describe('keys of the services with this profile'),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'GovernanceProfile' });
export type GovernanceProfile = z.infer<typeof GovernanceProfile>;

export const EvaluateInput = z.strictObject({
  profile: z.string().max(63).optional().describe('profile key; default: the profile of the service'),
  version: z.number().int().min(1).optional().describe('policy version; default: the active one'),
  service: z.string().max(100).optional().describe('service key or id: gives serviceTier and the profile'),
  environment: z.string().max(100).optional().describe('environment key or id: gives environmentTier'),
  changeType: z.enum(CHANGE_TYPES).optional(),
  riskLevel: z.enum(RISK_LEVELS).optional(),
  riskScore: z.number().min(0).optional(),
  environmentTier: z.enum(ENVIRONMENT_TIERS).optional(),
  serviceTier: z.number().int().min(1).max(4).optional(),
  testsPassed: z.boolean().optional(),
  changeFailureRate90d: z.number().min(0).max(1).optional(),
  emergency: z.boolean().optional(),
  riskFactors: z.array(z.strictObject({ factor: z.string().max(100), points: z.number(), detail: z.string().max(500) })).max(50).optional().describe('the risk assessment, echoed in the explanation'),
});
export type EvaluateInput = z.infer<typeof EvaluateInput>;

const Approval = z.object({ group: z.string(), quorum: z.number().int().nullable() });
export const Decision = z.object({
  changeType: z.enum(CHANGE_TYPES), approvals: z.array(Approval), autoApprove: z.boolean(), windows: z.enum(['respect', 'ignore']), block: z.string().nullable(),
});
export const Evaluation = z.object({
  profile: z.string(),
  version: z.number().int(),
  decision: Decision,
  explanation: z.object({
    rules: z.array(z.object({ id: z.string(), fired: z.boolean(), conditions: z.array(z.object({ fact: z.string(), test: z.unknown(), value: z.unknown(), met: z.boolean() })), decided: z.array(z.string()) })),
    fired: z.array(z.string()),
    fromDefaults: z.array(z.string()),
    facts: z.record(z.string(), z.unknown()),
    riskFactors: z.array(z.object({ factor: z.string(), points: z.number(), detail: z.string() })),
  }),
}).meta({ id: 'PolicyEvaluation' });
export type Evaluation = z.infer<typeof Evaluation>;

export const BacktestInput = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  version: z.number().int().min(1).optional().describe('default: the newest version (a draft when there is one)'),
});
export type BacktestInput = z.infer<typeof BacktestInput>;

const Group = z.object({ count: z.number().int(), closed: z.number().int(), unsuccessful: z.number().int(), failureRate: z.number().nullable().describe('unsuccessful ÷ closed; null when none closed') });
export const BacktestResult = z.object({
  profile: z.string(),
  version: z.number().int(),
  from: z.string(),
  to: z.string(),
  total: z.number().int(),
  autoApprove: Group,
  approvals: Group.describe('would need approvals (CAB)'),
  block: Group,
  neither: Group.describe('neither auto-approved nor approvals nor blocked'),
  changes: z.array(z.object({ number: z.string(), outcome: z.enum(['autoApprove', 'approvals', 'block', 'neither']), closeCode: z.string().nullable(), fired: z.array(z.string()) })),
}).meta({ id: 'PolicyBacktest' });
export type BacktestResult = z.infer<typeof BacktestResult>;
