/**
 * `ChangeGovernor` (docs/decisions/0009-change-management.md): the active policies of a change's
 * services decide on it. A policy version never changes once saved, so parsed documents are kept
 * by (profile, version) and a change costs one query for which versions apply.
 */
import { sql } from 'kysely';
import type { ChangeType } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import type { ChangeGovernor, ChangePolicyFacts, PolicyVerdict } from '../changes/change-contracts.js';
import { decide, type Decision, type Explanation } from './decide.js';
import type { PolicyDocument } from './policy-document.js';

/** Least to most controlled: a policy may ask for more control than the change has, never less. */
const TYPE_RANK: Record<ChangeType, number> = { standard: 0, normal: 1, emergency: 2 };

export interface ProfileDecision {
  profile: string;
  version: number;
  decision: Decision;
  explanation: Pick<Explanation, 'fired' | 'fromDefaults'>;
}

/** The strictest combination of several profiles' decisions (one profile: its decision as is). */
export function combineDecisions(decisions: ProfileDecision[], facts: ChangePolicyFacts, at: Date): PolicyVerdict {
  const approvals = new Map<string, number | null>();
  for (const { decision } of decisions) {
    for (const a of decision.approvals) {
      const had = approvals.get(a.group);
      // null (every eligible member) is stricter than any number
      approvals.set(a.group, had === undefined ? a.quorum : had === null || a.quorum === null ? null : Math.max(had, a.quorum));
    }
  }
  const blocks = decisions.filter((d) => d.decision.block).map((d) => `${d.profile}: ${d.decision.block}`);
  const types = decisions.map((d) => d.decision.changeType);
  return {
    profiles: decisions.map((d) => ({ profile: d.profile, version: d.version, fired: d.explanation.fired, fromDefaults: d.explanation.fromDefaults })),
    changeType: types.reduce((a, b) => (TYPE_RANK[b] > TYPE_RANK[a] ? b : a), types[0] ?? facts.changeType),
    approvals: [...approvals].map(([group, quorum]) => ({ group, quorum })).sort((a, b) => a.group.localeCompare(b.group)),
    autoApprove: decisions.length > 0 && decisions.every((d) => d.decision.autoApprove),
    windows: decisions.some((d) => d.decision.windows === 'respect') ? 'respect' : 'ignore',
    block: blocks.length ? blocks.join('; ') : null,
    facts,
    evaluatedAt: at.toISOString(),
  };
}

export function createChangeGovernor(deps: { clock: Clock }): ChangeGovernor {
  const documents = new Map<string, PolicyDocument>();

  async function documentOf(tx: Executor, profileId: string, version: number): Promise<PolicyDocument> {
    const key = `${profileId}@${version}`;
    const cached = documents.get(key);
    if (cached) return cached;
    const row = await tx.selectFrom('policy_versions').select('document').where('profile_id', '=', profileId).where('version', '=', version).executeTakeFirstOrThrow();
    const doc = row.document as PolicyDocument;
    documents.set(key, doc);
    return doc;
  }

  return {
    async evaluate(tx, serviceIds, facts) {
      if (!serviceIds.length) return null;
      const { rows } = await sql<{ id: string; key: string; current_version: number }>`
        select distinct p.id, p.key, p.current_version from services s join governance_profiles p on p.key = s.governance_profile
        where s.id = any(string_to_array(${serviceIds.join(',')}, ',')::uuid[]) and p.current_version is not null
        order by p.key`.execute(tx);
      if (!rows.length) return null;
      const decisions: ProfileDecision[] = [];
      for (const r of rows) {
        const { decision, explanation } = decide(facts, await documentOf(tx, r.id, r.current_version));
        decisions.push({ profile: r.key, version: r.current_version, decision, explanation });
      }
      return combineDecisions(decisions, facts, deps.clock.now());
    },
  };
}
