import { sql, type Kysely } from 'kysely';

/**
 * Change management (docs/decisions/0009-change-management.md): change requests with ServiceNow's
 * numeric states, standard change templates, approver groups, approvals by round, delegations, CAB
 * boards, state history and tasks (post-implementation reviews).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- a sequence, not max()+1: unique and increasing under concurrent creation on several nodes
    create sequence change_number_seq;

    create table approver_groups (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table approver_group_members (
      group_id uuid not null references approver_groups(id) on delete cascade,
      user_id uuid not null references users(id) on delete cascade,
      primary key (group_id, user_id)
    );
    create index approver_group_members_user on approver_group_members (user_id);

    create table approval_delegations (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      delegate_id uuid not null references users(id) on delete cascade,
      starts_at timestamptz not null,
      ends_at timestamptz not null check (ends_at > starts_at),
      reason text not null default '',
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      check (user_id <> delegate_id)
    );
    create index approval_delegations_delegate on approval_delegations (delegate_id, starts_at);

    create table change_templates (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      active boolean not null default true,
      current_version int not null default 1,
      definition jsonb not null,
      version int not null default 1,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table change_template_versions (
      template_id uuid not null references change_templates(id) on delete cascade,
      template_version int not null,
      definition jsonb not null,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      primary key (template_id, template_version)
    );

    create table change_requests (
      id uuid primary key,
      number text not null unique,
      type text not null check (type in ('standard', 'normal', 'emergency')),
      -- ServiceNow's values: New -5, Assess -4, Authorize -3, Scheduled -2, Implement -1, Review 0, Closed 3, Canceled 4
      state smallint not null default -5 check (state in (-5, -4, -3, -2, -1, 0, 3, 4)),
      title text not null check (length(title) between 1 and 200),
      description text not null default '',
      justification text not null default '',
      impact text check (impact in ('low', 'medium', 'high')),
      security_impact text check (security_impact in ('none', 'low', 'high')),
      security_impact_notes text not null default '',
      implementation_plan text not null default '',
      backout_plan text not null default '',
      test_plan text not null default '',
      planned_start timestamptz,
      planned_end timestamptz,
      actual_start timestamptz,
      actual_end timestamptz,
      close_code text check (close_code in ('successful', 'successful_with_issues', 'unsuccessful')),
      close_notes text not null default '',
      on_hold boolean not null default false,
      on_hold_reason text not null default '',
      emergency_reason text,
      -- computed risk with each factor's contribution; an override keeps the computed one beside it
      risk_level text check (risk_level in ('low', 'moderate', 'high', 'very_high')),
      risk_score int,
      risk_factors jsonb not null default '[]',
      risk_override jsonb,
      conflicts jsonb not null default '[]',
      conflicts_checked_at timestamptz,
      requested_by uuid references users(id) on delete set null,
      assignment_team_id uuid references teams(id) on delete set null,
      assignee_id uuid references users(id) on delete set null,
      release_id uuid references releases(id) on delete set null,
      template_id uuid references change_templates(id) on delete set null,
      template_version int,
      -- material edits after approval start a new round; decisions of older rounds stay as history
      approval_round int not null default 1,
      external_refs jsonb not null default '{}',
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (planned_end is null or planned_start is null or planned_end > planned_start),
      check (actual_end is null or actual_start is null or actual_end >= actual_start)
    );
    create index change_requests_state on change_requests (state, planned_start);
    create index change_requests_planned on change_requests using gist (tstzrange(planned_start, planned_end, '[)')) where planned_start is not null and planned_end is not null;
    create index change_requests_release on change_requests (release_id);
    create index change_requests_assignee on change_requests (assignee_id);

    create table change_services (
      change_id uuid not null references change_requests(id) on delete cascade,
      service_id uuid not null references services(id) on delete restrict,
      primary key (change_id, service_id)
    );
    create index change_services_service on change_services (service_id);
    create table change_environments (
      change_id uuid not null references change_requests(id) on delete cascade,
      environment_id uuid not null references environments(id) on delete restrict,
      primary key (change_id, environment_id)
    );
    create index change_environments_environment on change_environments (environment_id);
    create table change_work_items (
      change_id uuid not null references change_requests(id) on delete cascade,
      work_item_id uuid not null references work_items(id) on delete cascade,
      primary key (change_id, work_item_id)
    );

    create table change_state_transitions (
      id uuid primary key,
      change_id uuid not null references change_requests(id) on delete cascade,
      from_state smallint,
      to_state smallint not null,
      actor_id uuid references users(id) on delete set null,
      actor_name text not null,
      comment text not null default '',
      at timestamptz not null default now()
    );
    create index change_state_transitions_change on change_state_transitions (change_id, at);

    create table change_tasks (
      id uuid primary key,
      change_id uuid not null references change_requests(id) on delete cascade,
      kind text not null check (kind in ('post_implementation_review', 'task')),
      title text not null,
      due_at timestamptz,
      status text not null default 'open' check (status in ('open', 'done', 'canceled')),
      assignee_id uuid references users(id) on delete set null,
      completed_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index change_tasks_change on change_tasks (change_id);

    -- which groups must approve this change in this round, and how many of each (null quorum = all members)
    create table change_approval_requirements (
      id uuid primary key,
      change_id uuid not null references change_requests(id) on delete cascade,
      round int not null,
      group_id uuid not null references approver_groups(id) on delete restrict,
      quorum int check (quorum is null or quorum >= 1),
      due_at timestamptz,
      escalated_at timestamptz,
      source text not null default 'manual',
      created_at timestamptz not null default now(),
      unique (change_id, round, group_id)
    );
    create table change_approvals (
      id uuid primary key,
      change_id uuid not null references change_requests(id) on delete cascade,
      round int not null,
      requirement_id uuid not null references change_approval_requirements(id) on delete cascade,
      approver_id uuid not null references users(id) on delete restrict,
      on_behalf_of uuid references users(id) on delete set null,
      decision text not null check (decision in ('approved', 'rejected')),
      comment text not null default '',
      decided_at timestamptz not null default now(),
      unique (change_id, round, approver_id)
    );
    create index change_approvals_change on change_approvals (change_id, round);

    create table cab_boards (
      id uuid primary key,
      key text not null unique,
      name text not null,
      group_id uuid not null references approver_groups(id) on delete restrict,
      time_zone text not null,
      -- first meeting's local start, its length and RRULE, expanded by the time-window engine
      first_meeting_local text not null,
      duration_minutes int not null check (duration_minutes between 5 and 1440),
      rrule text not null,
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table cab_boards; drop table change_approvals; drop table change_approval_requirements; drop table change_tasks;
    drop table change_state_transitions; drop table change_work_items; drop table change_environments; drop table change_services;
    drop table change_requests; drop table change_template_versions; drop table change_templates; drop table approval_delegations;
    drop table approver_group_members; drop table approver_groups; drop sequence change_number_seq;
  `.execute(db);
}
