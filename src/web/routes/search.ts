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
