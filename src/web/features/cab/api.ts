import { api } from '../../api/client';
import type { ApprovalDecision, ChangeType, Page, RiskLevel } from '../../api/types';

const enc = encodeURIComponent;

interface Ref {
  id: string;
  key: string;
  name: string;
}

export interface Meeting {
  start: string;
  end: string;
  /** wall-clock start in the board's zone, `YYYY-MM-DDTHH:mm:ss` */
  localStart: string;
}

export interface CabBoard {
  id: string;
  key: string;
  name: string;
  group: Ref;
  timeZone: string;
  firstMeeting: string;
  durationMinutes: number;
  rrule: string;
  nextMeetings: Meeting[];
  version: number;
}

export interface CabCreate {
  key: string;
  name: string;
  group: string;
  timeZone: string;
  firstMeeting: string;
  durationMinutes: number;
  rrule: string;
}

export interface AgendaItem {
  change: {
    id: string;
    number: string;
    title: string;
    type: ChangeType;
    riskLevel: RiskLevel | null;
    plannedStart: string | null;
    plannedEnd: string | null;
    requestedBy: { id: string; name: string } | null;
  };
  round: number;
  needs: AgendaNeed[];
}

/** One requirement of the round, with who may still approve it (empty once met). */
export interface AgendaNeed {
  group: Ref;
  needed: number;
  approvals: number;
  met: boolean;
  mayApprove: { id: string; name: string }[];
  /** members who may never approve this change, with why (segregation of duties) */
  excluded: { id: string; name: string; reasons: string[] }[];
}

export interface Agenda {
  board: Ref;
  meeting: Meeting;
  nextMeeting: Meeting | null;
  items: AgendaItem[];
}

export type Decision = 'approved' | 'rejected';

export interface BulkResultItem {
  change: string;
  ok: boolean;
  decision: ApprovalDecision | null;
  problem: { status: number; code: string; detail: string } | null;
}

export interface ApproverGroupOption {
  id: string;
  key: string;
  name: string;
  memberCount: number;
}

export const cabApi = {
  list: (signal?: AbortSignal) => api.get<Page<CabBoard>>('/cab', { limit: 100 }, { signal }),
  get: (ref: string, signal?: AbortSignal) => api.get<CabBoard>(`/cab/${enc(ref)}`, undefined, { signal }),
  create: (body: CabCreate) => api.post<CabBoard>('/cab', body),
  meetings: (ref: string, range: { from?: string; to?: string }, signal?: AbortSignal) =>
    api.get<{ items: Meeting[] }>(`/cab/${enc(ref)}/meetings`, range, { signal }),
  agenda: (ref: string, meeting: string | undefined, signal?: AbortSignal) =>
    api.get<Agenda>(`/cab/${enc(ref)}/agenda`, { meeting }, { signal }),
  decide: (ref: string, decisions: { change: string; decision: Decision; comment?: string }[]) =>
    api.post<{ items: BulkResultItem[] }>(`/cab/${enc(ref)}/decisions`, { decisions }),
  /** approver groups for the board form's picker */
  groups: (signal?: AbortSignal) => api.get<Page<ApproverGroupOption>>('/approver-groups', { limit: 200 }, { signal }),
};

export const cabKeys = {
  all: ['cab'] as const,
  list: ['cab', 'list'] as const,
  detail: (key: string) => ['cab', 'detail', key] as const,
  meetings: (key: string) => ['cab', 'detail', key, 'meetings'] as const,
  agenda: (key: string, meeting: string | undefined) => ['cab', 'detail', key, 'agenda', meeting ?? 'next'] as const,
  groups: ['cab', 'approver-groups'] as const,
};
