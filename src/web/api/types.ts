/** Wire types for the Shipgate API v1 (as used by the web UI). */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TeamRef {
  id: string;
  key: string;
  name: string;
}

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
  teams: TeamRef[];
  permissions: string[];
}

export interface ServiceRef {
  id: string;
  key: string;
  name: string;
}

export type ServiceTier = 1 | 2 | 3 | 4;

export interface Service {
  id: string;
  key: string;
  name: string;
  description: string | null;
  tier: ServiceTier;
  ownerTeam: TeamRef | null;
  governanceProfile: string | null;
  dependsOn: ServiceRef[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceCreate {
  key: string;
  name: string;
  description?: string;
  tier: ServiceTier;
  ownerTeamId?: string;
  governanceProfile?: string;
  dependsOn?: string[];
}

export interface ServicePatch {
  name?: string;
  description?: string | null;
  tier?: ServiceTier;
  ownerTeamId?: string | null;
  governanceProfile?: string | null;
  dependsOn?: string[];
}

export interface ServiceListParams {
  q?: string;
  tier?: number;
  team?: string;
  limit?: number;
  cursor?: string;
}

export type EnvironmentTier = 'development' | 'testing' | 'staging' | 'production';

export interface Environment {
  id: string;
  key: string;
  name: string;
  description: string | null;
  tier: EnvironmentTier;
  order: number;
  changeControlled: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface EnvironmentCreate {
  key: string;
  name: string;
  description?: string;
  tier: EnvironmentTier;
  order: number;
  changeControlled: boolean;
}

export interface EnvironmentPatch {
  name?: string;
  description?: string | null;
  tier?: EnvironmentTier;
  order?: number;
  changeControlled?: boolean;
}

export interface Team extends TeamRef {
  description?: string | null;
  memberCount?: number;
}

export type TokenKind = 'personal' | 'service_account';

export interface ApiToken {
  id: string;
  name: string;
  kind: TokenKind;
  prefix: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export interface TokenCreated {
  token: ApiToken;
  secret: string;
}

export interface AuditEvent {
  id: string;
  seq: number | string;
  at: string;
  actor: { id: string; name: string } | null;
  action: string;
  entityType: string;
  entityId: string;
  requestId: string | null;
  diff: unknown;
}

export interface AuditListParams {
  entityType?: string;
  entityId?: string;
  actor?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export type CalendarKind = 'release' | 'phase' | 'gate';
export type ReleaseType = 'enterprise' | 'project' | 'independent';

export interface CalendarItem {
  kind: CalendarKind;
  id: string;
  title: string;
  start: string;
  end: string;
  /** release: draft|planned|in_progress|released|canceled; phase: planned|active|done; gate: pending|passed|failed|waived */
  status: string;
  release: { id: string; key: string; name: string; type: string; status: string };
  team: TeamRef | null;
  /** environment keys (phases) */
  environments: string[];
}

export interface CalendarParams {
  from: string;
  to: string;
  team?: string;
  service?: string;
  environment?: string;
  kinds?: string;
}

export interface CalendarResponse {
  from: string;
  to: string;
  truncated: boolean;
  items: CalendarItem[];
}

export type FeedScope = 'team' | 'service';

export interface CalendarFeed {
  id: string;
  scope: FeedScope;
  name: string;
  target: { id: string; key: string; name: string };
  createdAt: string;
  revokedAt: string | null;
}

export interface CalendarFeedCreated {
  feed: CalendarFeed;
  /** secret, path-only subscription URL: shown once */
  url: string;
}
