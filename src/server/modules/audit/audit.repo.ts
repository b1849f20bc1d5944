import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { ChainedEvent } from './audit.chain.js';

/** Any constant works; it only has to be the same for every writer of the chain. */
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
  prev_hash: string;
  hash: string;
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

export function createAuditRepo() {
  return {
    /**
     * Serialises chain appends across every process on the database: the transaction-scoped
     * advisory lock is held until commit, so the next writer reads this event as its predecessor.
     */
    async lockChainHead(tx: Tx): Promise<string | null> {
      await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(tx);
      const head = await tx.selectFrom('audit_events').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      return head?.hash ?? null;
    },

    async insert(tx: Tx, event: ChainedEvent, prevHash: string, hash: string): Promise<void> {
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
          prev_hash: prevHash,
          hash,
        })
        .execute();
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

    /** Walks the chain in order, a batch at a time, so verification of a long chain stays in bounded memory. */
    async batchAfter(db: Executor, afterSeq: string, size: number): Promise<AuditRow[]> {
      return (await db
        .selectFrom('audit_events')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq', 'asc')
        .limit(size)
        .execute()) as AuditRow[];
    },
  };
}

export type AuditRepo = ReturnType<typeof createAuditRepo>;
