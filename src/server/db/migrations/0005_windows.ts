import { sql, type Kysely } from 'kysely';

/**
 * Time windows (blackouts, freezes, maintenance windows), their overrides, and environment
 * bookings (docs/decisions/0008-time-windows.md). Wall-clock times are text `YYYY-MM-DDTHH:mm:ss`:
 * they mean nothing without the window's zone, and a `timestamp` column invites reading them as UTC.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table services add column tags text[] not null default '{}';
    alter table environments add column booking_mode text not null default 'refuse' check (booking_mode in ('refuse', 'queue'));
    alter table environments add column booking_approver_team_id uuid references teams(id) on delete set null;

    create table time_windows (
      id uuid primary key,
      name text not null check (length(name) between 1 and 200),
      description text not null default '',
      kind text not null check (kind in ('blackout', 'freeze', 'maintenance')),
      time_zone text not null,
      starts_local text not null check (starts_local ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d$'),
      ends_local text not null check (ends_local ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d$'),
      rrule text,
      exdates text[] not null default '{}',
      -- instants bounding every occurrence, so lists and calendars can skip windows by range; null = recurs forever
      first_start timestamptz not null,
      last_end timestamptz,
      scope_all boolean not null default false,
      scope_service_tiers int[] not null default '{}',
      scope_tags text[] not null default '{}',
      created_by uuid references users(id) on delete set null,
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index time_windows_kind on time_windows (kind, first_start);

    -- restrict, not cascade: dropping the last service from a window's scope would widen it to every service
    create table time_window_services (
      window_id uuid not null references time_windows(id) on delete cascade,
      service_id uuid not null references services(id) on delete restrict,
      primary key (window_id, service_id)
    );
    create index time_window_services_service on time_window_services (service_id);
    create table time_window_environments (
      window_id uuid not null references time_windows(id) on delete cascade,
      environment_id uuid not null references environments(id) on delete restrict,
      primary key (window_id, environment_id)
    );
    create index time_window_environments_environment on time_window_environments (environment_id);

    -- one freeze overridden for one change or deployment (referenced by type + id/number)
    create table time_window_overrides (
      id uuid primary key,
      window_id uuid not null references time_windows(id) on delete cascade,
      subject_type text not null check (subject_type in ('change', 'deployment')),
      subject_ref text not null check (length(subject_ref) between 1 and 100),
      reason text not null check (length(reason) between 1 and 2000),
      created_by uuid references users(id) on delete set null,
      created_by_name text not null,
      created_at timestamptz not null default now(),
      unique (window_id, subject_type, subject_ref)
    );

    create table environment_bookings (
      id uuid primary key,
      environment_id uuid not null references environments(id) on delete restrict,
      team_id uuid references teams(id) on delete restrict,
      release_id uuid references releases(id) on delete restrict,
      purpose text not null default '',
      starts_at timestamptz not null,
      ends_at timestamptz not null check (ends_at > starts_at),
      -- queued: waits for an overlapping booking to end or be rejected (environments with booking_mode 'queue')
      status text not null check (status in ('requested', 'queued', 'approved', 'rejected', 'canceled', 'released')),
      requested_by uuid references users(id) on delete set null,
      decided_by uuid references users(id) on delete set null,
      decided_at timestamptz,
      decision_comment text,
      released_at timestamptz,
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (team_id is not null or release_id is not null)
    );
    create index environment_bookings_range on environment_bookings using gist (tstzrange(starts_at, ends_at, '[)'));
    create index environment_bookings_environment on environment_bookings (environment_id, starts_at);

    -- bumped in every transaction that writes windows, overrides or bookings: a process whose
    -- in-memory window index is older reloads it, so several nodes agree without messaging
    create table time_window_state (id int primary key check (id = 1), revision bigint not null);
    insert into time_window_state values (1, 0);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table time_window_state; drop table environment_bookings; drop table time_window_overrides;
    drop table time_window_environments; drop table time_window_services; drop table time_windows;
    alter table environments drop column booking_approver_team_id; alter table environments drop column booking_mode;
    alter table services drop column tags;
  `.execute(db);
}
