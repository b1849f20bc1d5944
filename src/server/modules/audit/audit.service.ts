import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Db, Executor, Tx } from '../../db/tx.js';
import type { Actor } from '../identity/permissions.js';
import { assertCan } from '../identity/permissions.js';
import { chainHash, GENESIS_HASH, type ChainedEvent } from './audit.chain.js';
import type { AuditFilter, AuditRepo, AuditRow } from './audit.repo.js';

export interface AuditEntry {
  action: string; // e.g. service.created
  entityType: string;
  entityId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstInvalid: { seq: string; id: string; reason: string } | null;
}

/** Only the fields that differ; a create has only `after`, a delete only `before`. */
export function diffOf(before?: Record<string, unknown> | null, after?: Record<string, unknown> | null) {
  if (!before) return { after: after ?? null };
  if (!after) return { before };
  const changedBefore: Record<string, unknown> = {};
  const changedAfter: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changedBefore[key] = before[key] ?? null;
      changedAfter[key] = after[key] ?? null;
    }
  }
  return { before: changedBefore, after: changedAfter };
}

const toJsonSafe = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

const SEAL_BATCH = 500;

export function createAuditService(deps: { repo: AuditRepo; clock: Clock; db: Db }) {
  const { repo, clock, db } = deps;

  /**
   * Links committed, unsealed events into the chain in the order the sealer sees them. Returns
   * how many it sealed; 0 when another process holds the chain (it will seal them) or none wait.
   */
  async function sealPending(opts: { wait?: boolean } = {}): Promise<number> {
    let total = 0;
    for (;;) {
      const sealed = await db.transaction().execute(async (tx) => {
        if (opts.wait) await repo.lockChain(tx);
        else if (!(await repo.tryLockChain(tx))) return 0;
        const pending = await repo.unsealed(tx, SEAL_BATCH);
        if (pending.length === 0) return 0;
        const head = await repo.chainHead(tx);
        let prev = head?.hash ?? GENESIS_HASH;
        let position = BigInt(head?.chainSeq ?? '0');
        const seals = pending.map((row) => {
          position += 1n;
          const hash = chainHash(prev, eventOf(row));
          const seal = { seq: row.seq, chainSeq: position.toString(), prevHash: prev, hash };
          prev = hash;
          return seal;
        });
        await repo.seal(tx, seals);
        return seals.length;
      });
      total += sealed;
      if (sealed < SEAL_BATCH) return total;
    }
  }

  return {
    /** Appends an unsealed event inside the caller's transaction: it commits or rolls back with the change. */
    async record(tx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
      await repo.insert(tx, {
        id: newId(),
        at: clock.now().toISOString(),
        actorId: actor.id,
        actorName: actor.name,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId,
        requestId: actor.requestId,
        diff: toJsonSafe(diffOf(entry.before, entry.after)),
      });
    },

    sealPending,

    hasUnsealed: () => repo.hasUnsealed(db),

    async list(actor: Actor, filter: AuditFilter): Promise<AuditRow[]> {
      assertCan(actor, 'audit:read');
      return repo.list(db, filter);
    },

    /**
     * Seals what is pending, then recomputes every hash from the stored columns in chain order;
     * the first mismatch is where tampering happened.
     */
    async verify(executor: Executor = db, batchSize = 1000): Promise<VerifyResult> {
      await sealPending({ wait: true });
      let prev = GENESIS_HASH;
      let afterChainSeq = '0';
      let checked = 0;
      for (;;) {
        const rows = await repo.chainAfter(executor, afterChainSeq, batchSize);
        for (const row of rows) {
          const reason = checkRow(row, prev, BigInt(afterChainSeq) + 1n);
          if (reason) return { ok: false, checked, firstInvalid: { seq: row.seq, id: row.id, reason } };
          prev = row.hash!;
          afterChainSeq = row.chain_seq!;
          checked++;
        }
        if (rows.length < batchSize) return { ok: true, checked, firstInvalid: null };
      }
    },
  };
}

const eventOf = (row: AuditRow): ChainedEvent => ({
  id: row.id,
  at: row.at.toISOString(),
  actorId: row.actor_id,
  actorName: row.actor_name,
  action: row.action,
  entityType: row.entity_type,
  entityId: row.entity_id,
  requestId: row.request_id,
  diff: row.diff,
});

function checkRow(row: AuditRow, expectedPrev: string, expectedPosition: bigint): string | null {
  if (BigInt(row.chain_seq!) !== expectedPosition || row.prev_hash !== expectedPrev) {
    return 'prev_hash does not match the hash of the preceding event (an event was removed, inserted or reordered)';
  }
  return chainHash(row.prev_hash, eventOf(row)) === row.hash ? null : 'the event content does not match its hash (the row was modified)';
}

export type AuditService = ReturnType<typeof createAuditService>;
