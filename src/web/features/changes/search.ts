import type { ChangeStateName, ChangeType } from '../../api/types';

const STATES: ChangeStateName[] = ['new', 'assess', 'authorize', 'scheduled', 'implement', 'review', 'closed', 'canceled'];
const TYPES: ChangeType[] = ['standard', 'normal', 'emergency'];

export interface ChangesSearch {
  state?: ChangeStateName;
  type?: ChangeType;
  service?: string;
  q?: string;
  /** board: columns by state; absent: the list */
  view?: 'board';
}

function str(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, 200) : undefined;
}

/** The change list's filters, kept in the URL. */
export function validateChangesSearch(search: Record<string, unknown>): ChangesSearch {
  return {
    state: STATES.includes(search.state as ChangeStateName) ? (search.state as ChangeStateName) : undefined,
    type: TYPES.includes(search.type as ChangeType) ? (search.type as ChangeType) : undefined,
    service: str(search.service),
    q: str(search.q),
    view: search.view === 'board' ? 'board' : undefined,
  };
}

