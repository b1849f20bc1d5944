import type { ColumnType, Generated } from 'kysely';

/** Kysely table types; they mirror migrations/ (the source of truth). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface TeamsTable {
  id: string;
  key: string;
  name: string;
  description: string;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  is_service_account: Generated<boolean>;
  disabled_at: Date | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
}

export interface SessionsTable {
  id: string; // SHA-256 of the cookie value
  user_id: string;
  csrf_token: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  kind: 'personal' | 'service_account';
  prefix: string;
  token_hash: string;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ServicesTable {
  id: string;
  key: string;
  name: string;
  description: string;
  tier: number;
  owner_team_id: string | null;
  governance_profile: string | null;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ServiceDependenciesTable {
  service_id: string;
  depends_on_id: string;
}

export interface EnvironmentsTable {
  id: string;
  key: string;
  name: string;
  description: string;
  tier: 'development' | 'testing' | 'staging' | 'production';
  sort_order: number;
  change_controlled: boolean;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AuditEventsTable {
  seq: Generated<string>; // int8 → string
  id: string;
  at: Timestamp;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  request_id: string | null;
  diff: Json;
  /** null until the sealer links the event into the chain, right after its transaction commits */
  chain_seq: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface IdempotencyKeysTable {
  principal: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  status: number | null;
  response_body: string | null;
  response_headers: Json<Record<string, string>> | null;
  created_at: Timestamp;
}

export interface RateLimitsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

export interface DB {
  teams: TeamsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  team_members: TeamMembersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  services: ServicesTable;
  service_dependencies: ServiceDependenciesTable;
  environments: EnvironmentsTable;
  audit_events: AuditEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
}
