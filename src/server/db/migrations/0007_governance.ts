import { sql, type Kysely } from 'kysely';

/**
 * Governance profiles and their policies as code: every policy version is kept, at most one is
 * active per profile. Services name their profile by key (services.governance_profile).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table governance_profiles (
      id uuid primary key,
      key text not null unique,
      name text not null,
      description text not null default '',
      current_version int,
      version int not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create table policy_versions (
      profile_id uuid not null references governance_profiles(id) on delete cascade,
      version int not null,
      format text not null check (format in ('json', 'yaml')),
      source text not null,
      document jsonb not null,
      status text not null check (status in ('draft', 'active', 'retired')),
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null default now(),
      primary key (profile_id, version)
    );
    create unique index policy_versions_one_active on policy_versions (profile_id) where status = 'active';
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table policy_versions; drop table governance_profiles;`.execute(db);
}
