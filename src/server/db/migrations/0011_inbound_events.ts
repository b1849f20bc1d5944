import { sql, type Kysely } from 'kysely';

/**
 * Events received from other systems (CDEvents first). Every accepted event is kept with what was
 * done with it, so a replay is recognised by (kind, source, event_id) and an event that could not
 * be applied is not lost.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table inbound_events (
      id uuid primary key,
      kind text not null check (kind in ('cdevents')),
      source text not null,
      event_id text not null,
      type text not null,
      subject text,
      payload jsonb,
      outcome text not null check (outcome in ('applied', 'stored', 'ignored')),
      detail text not null,
      received_at timestamptz not null,
      unique (kind, source, event_id)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table inbound_events`.execute(db);
}
