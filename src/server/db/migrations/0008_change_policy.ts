import { sql, type Kysely } from 'kysely';

/**
 * The governance policy's verdict on a change (docs/decisions/0009-change-management.md): which
 * profiles and rules decided, the approvals it asks for, auto-approval, a block. Null when none of
 * the change's services has a governance profile; then the built-in approval defaults apply.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table change_requests add column policy jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table change_requests drop column policy`.execute(db);
}
