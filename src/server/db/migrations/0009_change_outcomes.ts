import { sql, type Kysely } from 'kysely';

/**
 * Each service link of a closed change carries when it closed and whether it failed, so a service's
 * change failure rate over a period is a range scan of one index instead of a walk through every
 * change the service ever had (risk reads it on every assessment).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table change_services add column closed_at timestamptz, add column unsuccessful boolean;
    update change_services cs set closed_at = coalesce(c.actual_end, c.updated_at), unsuccessful = (c.close_code = 'unsuccessful')
      from change_requests c where c.id = cs.change_id and c.state = 3;
    create index change_services_outcomes on change_services (service_id, closed_at) include (change_id, unsuccessful) where closed_at is not null;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index change_services_outcomes;
    alter table change_services drop column closed_at, drop column unsuccessful;
  `.execute(db);
}
