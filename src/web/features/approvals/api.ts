import { api } from '../../api/client';
import type { ChangeType, Page, RiskLevel } from '../../api/types';

interface Person {
  id: string;
  name: string;
}

/** A requirement of the current round the signed-in user may decide on now. */
export interface InboxRequirement {
  group: { id: string; key: string; name: string };
  needed: number;
  approvals: number;
  dueAt: string | null;
  overdue: boolean;
  /** set when the user may decide only for a member who delegated to them */
  onBehalfOf: Person | null;
}

export interface InboxItem {
  change: {
    id: string;
    number: string;
    title: string;
    type: ChangeType;
    /** the effective level: the override if there is one */
    riskLevel: RiskLevel | null;
    plannedStart: string | null;
    plannedEnd: string | null;
    requestedBy: Person | null;
  };
  round: number;
  requirements: InboxRequirement[];
  /** the earliest due date among the requirements */
  dueAt: string | null;
}

export const approvalsApi = {
  inbox: (query: { limit: number; cursor?: string }, signal?: AbortSignal) => api.get<Page<InboxItem>>('/approvals/inbox', query, { signal }),
};
