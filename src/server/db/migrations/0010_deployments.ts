import { sql, type Kysely } from 'kysely';

/**
 * Deployments reported by pipelines, and the inventory derived from them (decision 0010).
 * Reports for services or environments not in the catalog keep the reported names with null ids;
 * the alias tables remember how such a name was mapped so later reports match.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table deployments (
      id uuid primary key,
      service_id uuid references services(id) on delete restrict,
      service_ref text not null,
      environment_id uuid references environments(id) on delete restrict,
      environment_ref text not null,
      deployed_version text not null,
      artifact text,
      status text not null check (status in ('queued', 'in_progress', 'succeeded', 'failed', 'rolled_back', 'canceled')),
      started_at timestamptz,
      finished_at timestamptz,
      -- the list order (newest first): finish, else start, else report time
      sort_at timestamptz not null generated always as (coalesce(finished_at, started_at, created_at)) stored,
      pipeline_run_id text,
      pipeline_url text,
      source text not null check (source in ('api', 'cli', 'cdevents', 'github', 'gitlab')),
      external_id text,
      release_id uuid references releases(id) on delete set null,
      change_id uuid references change_requests(id) on delete set null,
      reported_by uuid references users(id) on delete set null,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index deployments_external on deployments (source, external_id) where external_id is not null;
    create index deployments_pair on deployments (service_id, environment_id, finished_at desc);
    create index deployments_order on deployments (sort_at desc, id desc);
    create index deployments_unmatched on deployments (service_ref, environment_ref) where service_id is null or environment_id is null;
    create index deployments_release on deployments (release_id) where release_id is not null;
    create index deployments_change on deployments (change_id) where change_id is not null;

    create table deployment_commits (
      deployment_id uuid not null references deployments(id) on delete cascade,
      sha text not null,
      committed_at timestamptz,
      author text,
      message text,
      primary key (deployment_id, sha)
    );

    create table environment_inventory (
      service_id uuid not null references services(id) on delete cascade,
      environment_id uuid not null references environments(id) on delete cascade,
      deployment_id uuid not null references deployments(id) on delete cascade,
      deployed_version text not null,
      since timestamptz not null,
      primary key (service_id, environment_id)
    );

    create table service_aliases (
      ref text primary key,
      service_id uuid not null references services(id) on delete cascade
    );

    create table environment_aliases (
      ref text primary key,
      environment_id uuid not null references environments(id) on delete cascade
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table environment_aliases;
    drop table service_aliases;
    drop table environment_inventory;
    drop table deployment_commits;
    drop table deployments;
  `.execute(db);
}
