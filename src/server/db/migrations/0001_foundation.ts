import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table teams (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table users (
      id uuid primary key,
      email text not null,
      name text not null,
      password_hash text,
      is_service_account boolean not null default false,
      disabled_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index users_email_key on users (lower(email));

    create table user_roles (
      user_id uuid not null references users(id) on delete cascade,
      role text not null,
      primary key (user_id, role)
    );

    create table team_members (
      team_id uuid not null references teams(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      primary key (team_id, user_id)
    );
    create index team_members_user on team_members (user_id);

    create table sessions (
      id text primary key,
      user_id uuid not null references users(id) on delete cascade,
      csrf_token text not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index sessions_user on sessions (user_id);

    create table api_tokens (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      name text not null,
      kind text not null check (kind in ('personal', 'service_account')),
      prefix text not null,
      token_hash text not null unique,
      expires_at timestamptz,
      last_used_at timestamptz,
      revoked_at timestamptz,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now()
    );
    create index api_tokens_user on api_tokens (user_id);

    create table services (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      tier smallint not null check (tier between 1 and 4),
      owner_team_id uuid references teams(id),
      governance_profile text,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index services_owner_team on services (owner_team_id);

    create table service_dependencies (
      service_id uuid not null references services(id) on delete cascade,
      depends_on_id uuid not null references services(id),
      primary key (service_id, depends_on_id),
      check (service_id <> depends_on_id)
    );
    create index service_dependencies_target on service_dependencies (depends_on_id);

    create table environments (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      tier text not null check (tier in ('development', 'testing', 'staging', 'production')),
      sort_order integer not null,
      change_controlled boolean not null default false,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table audit_events (
      seq bigserial primary key,
      id uuid not null unique,
      at timestamptz not null,
      actor_id uuid,
      actor_name text,
      action text not null,
      entity_type text not null,
      entity_id text not null,
      request_id text,
      diff jsonb not null,
      prev_hash text not null,
      hash text not null
    );
    create index audit_events_entity on audit_events (entity_type, entity_id, seq);
    create index audit_events_actor on audit_events (actor_id, seq);
    create index audit_events_at on audit_events (at);

    create table idempotency_keys (
      principal text not null,
      key text not null,
      method text not null,
      path text not null,
      body_hash text not null,
      status integer,
      response_body text,
      response_headers jsonb,
      created_at timestamptz not null default now(),
      primary key (principal, key)
    );
    create index idempotency_keys_created on idempotency_keys (created_at);

    create table rate_limits (
      bucket text primary key,
      window_start timestamptz not null,
      hits integer not null
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table rate_limits, idempotency_keys, audit_events, environments, service_dependencies,
      services, api_tokens, sessions, team_members, user_roles, users, teams;
  `.execute(db);
}
