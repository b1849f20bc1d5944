/**
 * The three example governance profiles Shipgate ships: `regulated` (SOX-style), `standard` and
 * `fast-lane`. They name the approver groups `cab` and `emergency-cab`, which must exist.
 */
import { stringify } from 'yaml';
import type { PolicyDocument, PolicyRule } from './policy-document.js';
import type { PolicyFormat } from '../../db/schema.js';

export interface ExampleProfile {
  key: string;
  name: string;
  description: string;
  format: PolicyFormat;
  document: PolicyDocument;
  source: string;
}

export const EXAMPLE_GROUPS = [
  { key: 'cab', name: 'Change advisory board' },
  { key: 'emergency-cab', name: 'Emergency CAB' },
] as const;

const emergencyRule: PolicyRule = {
  id: 'emergency',
  description: 'Emergency changes are approved by one member of the emergency CAB.',
  when: { all: [{ emergency: true }] },
  then: { approvals: [{ group: 'emergency-cab', quorum: 1 }], autoApprove: false },
};

const regulated: PolicyDocument = {
  description: 'SOX-style: nothing is auto-approved; production needs two CAB approvals.',
  rules: [
    emergencyRule,
    { id: 'production', description: 'Production changes need two CAB approvals.', when: { all: [{ environmentTier: { in: ['production'] } }] }, then: { approvals: [{ group: 'cab', quorum: 2 }] } },
  ],
  defaults: { changeType: 'normal', approvals: [{ group: 'cab', quorum: 1 }], autoApprove: false, windows: 'respect' },
};

const standard: PolicyDocument = {
  description: 'Low-risk changes with passing tests are auto-approved; everything else needs one CAB approval.',
  rules: [
    emergencyRule,
    { id: 'low-risk-tested', description: 'Low risk and tests passed: auto-approved.', when: { all: [{ riskLevel: { in: ['low'] } }, { testsPassed: true }] }, then: { autoApprove: true, approvals: [] } },
  ],
  defaults: { approvals: [{ group: 'cab', quorum: 1 }], autoApprove: false, windows: 'respect' },
};

const fastLane: PolicyDocument = {
  description: 'Auto-approved unless the risk is high or the service failed 15% or more of its changes over 90 days.',
  rules: [
    emergencyRule,
    {
      id: 'risky',
      description: 'High risk or a failure rate of 15% or more: one CAB approval.',
      when: { any: [{ riskLevel: { in: ['high', 'very_high'] } }, { changeFailureRate90d: { '>=': 0.15 } }] },
      then: { autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }] },
    },
  ],
  defaults: { autoApprove: true, approvals: [], windows: 'respect' },
};

/** The example profiles with their policy source (regulated in YAML, the others in JSON). */
export function exampleProfiles(): ExampleProfile[] {
  return [
    { key: 'regulated', name: 'Regulated (SOX)', description: 'Systems in audit scope: segregated, documented approvals for every change.', format: 'yaml', document: regulated, source: stringify(regulated) },
    { key: 'standard', name: 'Standard', description: 'Most services: low-risk tested changes flow, the rest go to the CAB.', format: 'json', document: standard, source: JSON.stringify(standard, null, 2) },
    { key: 'fast-lane', name: 'Fast lane', description: 'Low-criticality services with a good track record.', format: 'json', document: fastLane, source: JSON.stringify(fastLane, null, 2) },
  ];
}

/** What installing the examples needs: the governance service and approver group creation. */
export interface ExampleInstallServices {
  governance: { create(actor: import('../identity/permissions.js').Actor, input: import('./governance.schemas.js').ProfileCreate): Promise<unknown> };
  approvals: { createGroup(actor: import('../identity/permissions.js').Actor, input: { key: string; name: string; members?: string[] }): Promise<unknown> };
}

/**
 * Creates the approver groups the examples name (`cab`, `emergency-cab`; members given per group
 * key) when missing, and the three example profiles with their policy as active version 1.
 */
export async function installExampleProfiles(
  svc: ExampleInstallServices,
  db: import('../../db/tx.js').Executor,
  actor: import('../identity/permissions.js').Actor,
  members: Partial<Record<string, string[]>> = {},
): Promise<void> {
  const existing = new Set((await db.selectFrom('approver_groups').select('key').execute()).map((g) => g.key));
  for (const g of EXAMPLE_GROUPS) if (!existing.has(g.key)) await svc.approvals.createGroup(actor, { key: g.key, name: g.name, members: members[g.key] ?? [] });
  for (const p of exampleProfiles()) {
    await svc.governance.create(actor, { key: p.key, name: p.name, description: p.description, policy: { format: p.format, source: p.source, activate: true } });
  }
}
