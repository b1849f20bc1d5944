import { sql, type Kysely } from 'kysely';

/**
 * Audit events are written unsealed inside the domain transaction and sealed into the hash chain
 * right after commit by a single sealer (see docs/decisions/0003-audit-chain.md): the chain lock no
 * longer sits on every write's commit path. `chain_seq` is the position in the chain.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table audit_events add column chain_seq bigint unique;
    update audit_events set chain_seq = seq;
    alter table audit_events alter column prev_hash drop not null, alter column hash drop not null;
    alter table audit_events add constraint audit_events_sealed_whole
      check ((chain_seq is null) = (hash is null) and (hash is null) = (prev_hash is null));
    create index audit_events_unsealed on audit_events (seq) where hash is null;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index audit_events_unsealed;
    alter table audit_events drop constraint audit_events_sealed_whole;
    alter table audit_events drop column chain_seq;
  `.execute(db);
}
