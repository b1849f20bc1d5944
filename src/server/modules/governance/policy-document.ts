/**
 * The policy document: its published JSON Schema (draft 2020-12) and its TypeScript shape. A policy
 * is an ordered list of rules; each rule has a condition over the facts of a proposed change or
 * deployment (`when`) and what it decides (`then`). `defaults` decides what no firing rule did.
 */
import type { ChangeType, RiskLevel } from '../../db/schema.js';

export const RISK_LEVELS = ['low', 'moderate', 'high', 'very_high'] as const;
export const ENVIRONMENT_TIERS = ['development', 'testing', 'staging', 'production'] as const;
export const CHANGE_TYPES = ['standard', 'normal', 'emergency'] as const;
export type EnvironmentTier = (typeof ENVIRONMENT_TIERS)[number];

type NumberTest = { '<'?: number; '<='?: number; '>'?: number; '>='?: number };

/** One condition names exactly one fact (or nests `all` / `any`). */
export interface Condition {
  riskLevel?: { in: RiskLevel[] };
  riskScore?: NumberTest;
  environmentTier?: { in: EnvironmentTier[] };
  serviceTier?: { in?: number[] } & NumberTest;
  changeType?: { in: ChangeType[] };
  testsPassed?: boolean;
  changeFailureRate90d?: NumberTest;
  emergency?: boolean;
  all?: Condition[];
  any?: Condition[];
}

export interface ApprovalRequirement {
  group: string;
  /** approvals needed; null = every eligible member */
  quorum: number | null;
}

export interface Outcome {
  changeType?: ChangeType;
  approvals?: ApprovalRequirement[];
  autoApprove?: boolean;
  windows?: 'respect' | 'ignore';
  /** the reason the change may not go ahead */
  block?: string;
}

export interface PolicyRule {
  id: string;
  description?: string;
  /** no `when`: the rule always fires */
  when?: { all: Condition[] } | { any: Condition[] };
  then: Outcome;
}

export interface PolicyDocument {
  description?: string;
  rules: PolicyRule[];
  defaults?: Outcome;
}

export const SCHEMA_ID = 'https://shipgate.dev/schemas/policy.json';

const numberTest = (min: number, max?: number) => {
  const n = max === undefined ? { type: 'number', minimum: min } : { type: 'number', minimum: min, maximum: max };
  return { type: 'object', minProperties: 1, additionalProperties: false, properties: { '<': n, '<=': n, '>': n, '>=': n } };
};
const inList = (items: object) => ({ type: 'object', required: ['in'], additionalProperties: false, properties: { in: { type: 'array', minItems: 1, uniqueItems: true, items } } });
const groupKey = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' };

/** The JSON Schema every policy document is validated against, served at GET /api/v1/policies/schema. */
export const POLICY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: SCHEMA_ID,
  title: 'Shipgate governance policy',
  type: 'object',
  required: ['rules'],
  additionalProperties: false,
  properties: {
    description: { type: 'string', maxLength: 2000 },
    rules: { type: 'array', maxItems: 200, items: { $ref: '#/$defs/rule' } },
    defaults: { $ref: '#/$defs/outcome' },
  },
  $defs: {
    rule: {
      type: 'object',
      required: ['id', 'then'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' },
        description: { type: 'string', maxLength: 2000 },
        when: {
          type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
          properties: { all: { $ref: '#/$defs/conditions' }, any: { $ref: '#/$defs/conditions' } },
        },
        then: { $ref: '#/$defs/outcome' },
      },
    },
    conditions: { type: 'array', minItems: 1, maxItems: 50, items: { $ref: '#/$defs/condition' } },
    condition: {
      description: 'exactly one fact test, or a nested all/any',
      type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
      properties: {
        riskLevel: inList({ enum: RISK_LEVELS }),
        riskScore: numberTest(0),
        environmentTier: inList({ enum: ENVIRONMENT_TIERS }),
        serviceTier: {
          type: 'object', minProperties: 1, additionalProperties: false,
          properties: { in: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 4 } }, ...numberTest(1, 4).properties },
        },
        changeType: inList({ enum: CHANGE_TYPES }),
        testsPassed: { type: 'boolean' },
        changeFailureRate90d: numberTest(0, 1),
        emergency: { type: 'boolean' },
        all: { $ref: '#/$defs/conditions' },
        any: { $ref: '#/$defs/conditions' },
      },
    },
    outcome: {
      type: 'object',
      additionalProperties: false,
      properties: {
        changeType: { enum: CHANGE_TYPES },
        approvals: {
          type: 'array', maxItems: 20,
          items: {
            type: 'object', required: ['group', 'quorum'], additionalProperties: false,
            properties: { group: groupKey, quorum: { oneOf: [{ type: 'integer', minimum: 1, maximum: 50 }, { type: 'null' }] } },
          },
        },
        autoApprove: { type: 'boolean' },
        windows: { enum: ['respect', 'ignore'] },
        block: { type: 'string', minLength: 1, maxLength: 500 },
      },
    },
  },
} as const;
