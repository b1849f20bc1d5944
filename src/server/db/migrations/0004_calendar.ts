import { sql, type Kysely } from 'kysely';

/** Range queries of the calendar, and the secret-URL feeds calendar apps subscribe to. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- "overlaps [from, to)" is a range query: a btree on the start would scan everything that began earlier
    create index releases_planned_range on releases using gist (tstzrange(planned_start, coalesce(planned_end, planned_start), '[]'));
    create index release_phases_planned_range on release_phases using gist (tstzrange(planned_start, coalesce(planned_end, planned_start), '[]'));
    create index release_gates_planned_at on release_gates (planned_at);

    create table calendar_feeds (
      id uuid primary key,
      token_hash text not null unique,
      scope text not null check (scope in ('team', 'service')),
      team_id uuid references teams(id) on delete cascade,
      service_id uuid references services(id) on delete cascade,
      name text not null,
      created_by uuid not null references users(id) on delete cascade,
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      check ((scope = 'team') = (team_id is not null) and (scope = 'service') = (service_id is not null))
    );
    create index calendar_feeds_creator on calendar_feeds (created_by);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table calendar_feeds; drop index release_gates_planned_at; drop index release_phases_planned_range; drop index releases_planned_range;`.execute(db);
}
