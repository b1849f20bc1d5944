import { sql, type Kysely } from 'kysely';

/** Release planning: templates, releases, phases, gates and their criteria, scope, dependencies. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table release_templates (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      template_version integer not null default 1,
      definition jsonb not null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    -- every saved definition, so a release can say which template version it came from
    create table release_template_versions (
      template_id uuid not null references release_templates(id) on delete cascade,
      template_version integer not null,
      definition jsonb not null,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      primary key (template_id, template_version)
    );

    create table releases (
      id uuid primary key,
      key text not null unique,
      name text not null,
      release_version text not null default '',
      type text not null check (type in ('enterprise', 'project', 'independent')),
      parent_id uuid references releases(id),
      status text not null default 'draft' check (status in ('draft', 'planned', 'in_progress', 'released', 'canceled')),
      owner_team_id uuid references teams(id),
      description text not null default '',
      planned_start timestamptz,
      planned_end timestamptz,
      actual_start timestamptz,
      actual_end timestamptz,
      planned_at timestamptz, -- when it entered Planned: scope changes after this are scope creep
      template_id uuid references release_templates(id) on delete set null,
      template_version integer,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (planned_end is null or planned_start is null or planned_end >= planned_start),
      check (parent_id is null or parent_id <> id)
    );
    create index releases_parent on releases (parent_id);
    create index releases_owner_team on releases (owner_team_id);
    create index releases_window on releases (planned_start, planned_end);

    create table release_services (
      release_id uuid not null references releases(id) on delete cascade,
      service_id uuid not null references services(id),
      service_version text,
      primary key (release_id, service_id)
    );
    create index release_services_service on release_services (service_id);

    create table release_dependencies (
      release_id uuid not null references releases(id) on delete cascade,
      depends_on_id uuid not null references releases(id) on delete cascade,
      primary key (release_id, depends_on_id),
      check (release_id <> depends_on_id)
    );
    create index release_dependencies_target on release_dependencies (depends_on_id);

    -- which role may move a release of a type from a status to another; editable by admins
    create table release_transition_rules (
      release_type text not null check (release_type in ('enterprise', 'project', 'independent')),
      from_status text not null,
      to_status text not null,
      roles text[] not null,
      primary key (release_type, from_status, to_status)
    );

    create table release_phases (
      id uuid primary key,
      release_id uuid not null references releases(id) on delete cascade,
      key text not null,
      name text not null,
      position integer not null,
      planned_start timestamptz,
      planned_end timestamptz,
      actual_start timestamptz,
      actual_end timestamptz,
      version integer not null default 1,
      unique (release_id, key),
      unique (release_id, position),
      check (planned_end is null or planned_start is null or planned_end >= planned_start),
      check (actual_end is null or actual_start is null or actual_end >= actual_start)
    );

    create table release_phase_environments (
      phase_id uuid not null references release_phases(id) on delete cascade,
      environment_id uuid not null references environments(id),
      primary key (phase_id, environment_id)
    );
    create index release_phase_environments_env on release_phase_environments (environment_id);

    create table release_gates (
      id uuid primary key,
      release_id uuid not null references releases(id) on delete cascade,
      key text not null,
      name text not null,
      after_phase_id uuid references release_phases(id) on delete set null, -- null: before the first phase
      planned_at timestamptz,
      status text not null default 'pending' check (status in ('pending', 'passed', 'failed', 'waived')),
      approver_team_id uuid references teams(id),
      quorum integer not null default 1 check (quorum >= 1),
      pushed_from_gate_id uuid references release_gates(id) on delete set null,
      waiver_reason text,
      waived_by uuid references users(id) on delete set null,
      waived_at timestamptz,
      evaluated_at timestamptz,
      version integer not null default 1,
      unique (release_id, key)
    );
    create index release_gates_pushed_from on release_gates (pushed_from_gate_id);

    create table gate_criteria (
      id uuid primary key,
      gate_id uuid not null references release_gates(id) on delete cascade,
      position integer not null,
      kind text not null check (kind in ('all_scope_done', 'no_open_blockers', 'change_approved', 'deployment_succeeded', 'manual_signoff', 'custom_check')),
      config jsonb not null default '{}',
      status text not null default 'pending' check (status in ('pending', 'passed', 'failed')),
      detail text not null default '',
      evaluated_at timestamptz,
      unique (gate_id, position)
    );

    create table gate_signoffs (
      gate_id uuid not null references release_gates(id) on delete cascade,
      user_id uuid not null references users(id),
      decision text not null check (decision in ('approve', 'reject')),
      comment text not null default '',
      decided_at timestamptz not null,
      primary key (gate_id, user_id)
    );

    create table custom_check_reports (
      criterion_id uuid not null references gate_criteria(id) on delete cascade,
      value numeric,
      passed boolean not null,
      detail text not null default '',
      reported_by uuid references users(id) on delete set null,
      reported_at timestamptz not null,
      primary key (criterion_id, reported_at)
    );

    create table work_items (
      id uuid primary key,
      source text not null,
      external_key text not null,
      url text,
      type text not null,
      title text not null,
      status_category text not null check (status_category in ('todo', 'in_progress', 'done')),
      status text not null default '',
      assignee text,
      blocking boolean not null default false,
      release_id uuid references releases(id) on delete set null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (source, external_key)
    );
    create index work_items_release on work_items (release_id, status_category);

    create table release_scope_changes (
      id uuid primary key,
      release_id uuid not null references releases(id) on delete cascade,
      work_item_id uuid references work_items(id) on delete set null,
      change text not null check (change in ('added', 'removed')),
      scope_creep boolean not null,
      actor_id uuid references users(id) on delete set null,
      at timestamptz not null
    );
    create index release_scope_changes_release on release_scope_changes (release_id, at);
  `.execute(db);

  // the default workflow: release managers plan and run releases, admins may do anything
  const rules: [string, string, string[]][] = [
    ['draft', 'planned', ['admin', 'release_manager']],
    ['planned', 'in_progress', ['admin', 'release_manager']],
    ['in_progress', 'released', ['admin', 'release_manager']],
    ['planned', 'draft', ['admin', 'release_manager']],
    ['draft', 'canceled', ['admin', 'release_manager']],
    ['planned', 'canceled', ['admin', 'release_manager']],
    ['in_progress', 'canceled', ['admin', 'release_manager']],
  ];
  for (const type of ['enterprise', 'project', 'independent']) {
    for (const [from, to, roles] of rules) {
      await sql`insert into release_transition_rules (release_type, from_status, to_status, roles) values (${type}, ${from}, ${to}, ${roles}::text[])`.execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table release_scope_changes, work_items, custom_check_reports, gate_signoffs, gate_criteria, release_gates,
      release_phase_environments, release_phases, release_transition_rules, release_dependencies, release_services,
      releases, release_template_versions, release_templates;
  `.execute(db);
}
