/** URL search-param schemas: every list's filters live in the URL so views are linkable. */

function str(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed ? trimmed.slice(0, 500) : undefined;
}

export interface SignInSearch {
  redirect?: string;
}

export function validateSignInSearch(search: Record<string, unknown>): SignInSearch {
  return { redirect: str(search.redirect) };
}

export interface ServicesSearch {
  q?: string;
  tier?: 1 | 2 | 3 | 4;
  team?: string;
}

export function validateServicesSearch(search: Record<string, unknown>): ServicesSearch {
  const tierNum = Number(search.tier);
  const tier = tierNum === 1 || tierNum === 2 || tierNum === 3 || tierNum === 4 ? tierNum : undefined;
  return { q: str(search.q), tier, team: str(search.team) };
}

export interface AuditSearch {
  entityType?: string;
  entityId?: string;
  actor?: string;
  from?: string;
  to?: string;
}

export function validateAuditSearch(search: Record<string, unknown>): AuditSearch {
  return {
    entityType: str(search.entityType),
    entityId: str(search.entityId),
    actor: str(search.actor),
    from: str(search.from),
    to: str(search.to),
  };
}

export type CalendarView = 'month' | 'timeline';
export type CalendarLanes = 'team' | 'environment';
const KINDS = ['release', 'phase', 'gate'] as const;

export interface CalendarSearch {
  view?: CalendarView;
  /** first month shown, YYYY-MM (default: this month) */
  month?: string;
  team?: string;
  service?: string;
  environment?: string;
  /** comma-separated subset of release,phase,gate (default: all) */
  kinds?: string;
  lanes?: CalendarLanes;
  /** overlay blackouts, freezes, maintenance windows and bookings */
  windows?: boolean;
}

export function validateCalendarSearch(search: Record<string, unknown>): CalendarSearch {
  const month = str(search.month);
  const kinds = (str(search.kinds) ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k, i, all): k is (typeof KINDS)[number] => (KINDS as readonly string[]).includes(k) && all.indexOf(k) === i);
  return {
    view: search.view === 'timeline' ? 'timeline' : search.view === 'month' ? 'month' : undefined,
    month: month && /^\d{4}-(0[1-9]|1[0-2])$/.test(month) ? month : undefined,
    team: str(search.team),
    service: str(search.service),
    environment: str(search.environment),
    kinds: kinds.length > 0 && kinds.length < KINDS.length ? kinds.join(',') : undefined,
    lanes: search.lanes === 'environment' ? 'environment' : search.lanes === 'team' ? 'team' : undefined,
    windows: search.windows === true || search.windows === 'true' || search.windows === '1' ? true : undefined,
  };
}

const RELEASE_TYPES = ['enterprise', 'project', 'independent'] as const;
const RELEASE_STATUSES = ['draft', 'planned', 'in_progress', 'released', 'canceled'] as const;

export interface ReleasesSearch {
  q?: string;
  type?: (typeof RELEASE_TYPES)[number];
  status?: (typeof RELEASE_STATUSES)[number];
  team?: string;
}

function oneOf<T extends string>(values: readonly T[], value: unknown): T | undefined {
  return typeof value === 'string' && (values as readonly string[]).includes(value) ? (value as T) : undefined;
}

export function validateReleasesSearch(search: Record<string, unknown>): ReleasesSearch {
  return {
    q: str(search.q),
    type: oneOf(RELEASE_TYPES, search.type),
    status: oneOf(RELEASE_STATUSES, search.status),
    team: str(search.team),
  };
}
