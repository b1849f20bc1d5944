import type { ChangeSnapshot, PolicyVerdict } from '../changes/change-contracts.js';

/**
 * Which groups must approve a change when nobody set its rules by hand (its governance policy, else
 * the built-in defaults), and who may never approve it.
 */

export interface DefaultRule {
  groupKey: string;
  /** approvals needed; null = every eligible member */
  quorum: number | null;
}

/** A round's rules: the governance policy's approvals when it names some, else the defaults. */
export function rulesFor(change: Pick<ChangeSnapshot, 'type' | 'policy'>): (DefaultRule & { source: 'policy' | 'default' })[] {
  const fromPolicy = change.policy?.approvals ?? [];
  if (fromPolicy.length) return fromPolicy.map((a) => ({ groupKey: a.group, quorum: a.quorum, source: 'policy' }));
  return defaultRules(change).map((r) => ({ ...r, source: 'default' }));
}

/** "fast-lane@2 (rules low-risk)": which policy auto-approved, in words. */
export function autoApprovalNote(policy: PolicyVerdict): string {
  return `auto-approved by the governance policy ${policy.profiles.map((p) => `${p.profile}@${p.version}${p.fired.length ? ` (rules ${p.fired.join(', ')})` : ' (its defaults)'}`).join(', ')}`;
}

/**
 * Emergency changes: one approval of the emergency CAB; normal changes: two of the CAB. A group
 * that does not exist gives no rule, and a round without rules is never met.
 */
export function defaultRules(change: Pick<ChangeSnapshot, 'type'>): DefaultRule[] {
  switch (change.type) {
    case 'emergency': return [{ groupKey: 'emergency-cab', quorum: 1 }];
    case 'normal': return [{ groupKey: 'cab', quorum: 2 }];
    default: return []; // standard changes are pre-approved by their template
  }
}

export type ExclusionReason = 'requester' | 'assignee' | 'commit_author';

export interface SegregationSettings {
  /** also exclude the authors of the change's commits (needs commits linked to changes) */
  excludeCommitAuthors: boolean;
}

export const DEFAULT_SEGREGATION: SegregationSettings = { excludeCommitAuthors: false };

/**
 * Who may never approve a change, and why: its requester and its assignee, always (admins too).
 * `commitAuthors` is the hook for the commit authors once commits are linked to changes.
 */
export function exclusions(
  change: Pick<ChangeSnapshot, 'requestedBy' | 'assigneeId'>,
  settings: SegregationSettings,
  commitAuthors: string[] = [],
): Map<string, ExclusionReason[]> {
  const out = new Map<string, ExclusionReason[]>();
  const add = (id: string | null, reason: ExclusionReason) => {
    if (!id) return;
    out.set(id, [...(out.get(id) ?? []), reason]);
  };
  add(change.requestedBy, 'requester');
  add(change.assigneeId, 'assignee');
  if (settings.excludeCommitAuthors) for (const a of commitAuthors) add(a, 'commit_author');
  return out;
}
