import type { ChangeSnapshot } from '../changes/change-contracts.js';

/**
 * The approval defaults, in one place so a governance policy can take over the decision later:
 * which groups must approve a change when nobody set its rules, and who may never approve it.
 */

export interface DefaultRule {
  groupKey: string;
  /** approvals needed; null = every eligible member */
  quorum: number | null;
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
