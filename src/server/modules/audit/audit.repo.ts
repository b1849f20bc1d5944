import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { ChainedEvent } from './audit.chain.js';

/** Any constant works; it only has to be the same for every sealer of the chain. */
const AUDIT_CHAIN_LOCK = 7_410_342_001;

export interface AuditRow {
  seq: string;
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  request_id: string | null;
  diff: unknown;
  chain_seq: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  beforeSeq?: string;
  limit: number;
}

export interface Seal {
  seq: string;
  chainSeq: string;
  prevHash: string;
  hash: string;
}

export function createAuditRepo() {
  return {
    /** Unsealed: no lock, so concurrent writers never wait for each other here. */
    async insert(tx: Tx, event: ChainedEvent): Promise<void> {
      await tx
        .insertInto('audit_events')
        .values({
          id: event.id,
          at: event.at,
          actor_id: event.actorId,
          actor_name: event.actorName,
          action: event.action,
          entity_type: event.entityType,
          entity_id: event.entityId,
          request_id: event.requestId,
          diff: JSON.stringify(event.diff),
          chain_seq: null,
          prev_hash: null,
          hash: null,
        })
        .execute();
    },

    /** One sealer at a time across all processes; the others skip instead of queueing. */
    async tryLockChain(tx: Tx): Promise<boolean> {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${AUDIT_CHAIN_LOCK}) as locked`.execute(tx);
      return rows[0]!.locked;
    },

    async lockChain(tx: Tx): Promise<void> {
      await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(tx);
    },

    async chainHead(tx: Tx): Promise<{ chainSeq: string; hash: string } | null> {
      const head = await tx
        .selectFrom('audit_events')
        .select(['chain_seq', 'hash'])
        .where('chain_seq', 'is not', null)
        .orderBy('chain_seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      return head ? { chainSeq: head.chain_seq!, hash: head.hash! } : null;
    },

    /** Committed events not yet in the chain, oldest first. */
    async unsealed(tx: Tx, limit: number): Promise<AuditRow[]> {
      return (await tx.selectFrom('audit_events').selectAll().where('hash', 'is', null).orderBy('seq').limit(limit).execute()) as AuditRow[];
    },

    async hasUnsealed(db: Executor): Promise<boolean> {
      return (await db.selectFrom('audit_events').select('seq').where('hash', 'is', null).limit(1).executeTakeFirst()) !== undefined;
    },

    /** All seals of a batch in one statement. */
    async seal(tx: Tx, seals: Seal[]): Promise<void> {
      if (seals.length === 0) return;
      const values = sql.join(seals.map((s) => sql`(${s.seq}::bigint, ${s.chainSeq}::bigint, ${s.prevHash}, ${s.hash})`));
      await sql`
        update audit_events a set chain_seq = v.chain_seq, prev_hash = v.prev_hash, hash = v.hash
        from (values ${values}) as v(seq, chain_seq, prev_hash, hash)
        where a.seq = v.seq and a.hash is null
      `.execute(tx);
    },

    async list(db: Executor, f: AuditFilter): Promise<AuditRow[]> {
      let q = db.selectFrom('audit_events').selectAll();
      if (f.entityType) q = q.where('entity_type', '=', f.entityType);
      if (f.entityId) q = q.where('entity_id', '=', f.entityId);
      if (f.actorId) q = q.where('actor_id', '=', f.actorId);
      if (f.action) q = q.where('action', '=', f.action);
      if (f.from) q = q.where('at', '>=', f.from);
      if (f.to) q = q.where('at', '<', f.to);
      if (f.beforeSeq) q = q.where('seq', '<', f.beforeSeq);
      return (await q.orderBy('seq', 'desc').limit(f.limit).execute()) as AuditRow[];
    },

    /** Walks the chain in order, a batch at a time, so verifying a long chain stays in bounded memory. */
    async chainAfter(db: Executor, afterChainSeq: string, size: number): Promise<AuditRow[]> {
      return (await db
        .selectFrom('audit_events')
        .selectAll()
        .where('chain_seq', '>', afterChainSeq)
        .orderBy('chain_seq', 'asc')
        .limit(size)
        .execute()) as AuditRow[];
    },

    async countUnsealed(db: Executor): Promise<number> {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from audit_events where hash is null`.execute(db);
      return rows[0]!.n;
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
