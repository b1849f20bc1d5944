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

export function createAuditService(deps: { repo: AuditRepo; clock: Clock; db: Db }) {
  const { repo, clock } = deps;

  return {
    /**
     * Appends to the chain inside the caller's transaction. Call it last in the transaction:
     * the chain lock is held from here to commit.
     */
    async record(tx: Tx, actor: Actor, entry: AuditEntry): Promise<void> {
      const event: ChainedEvent = {
        id: newId(),
        at: clock.now().toISOString(),
        actorId: actor.id,
        actorName: actor.name,
        action: entry.action,
        entityType: entry.entityType,
        entityId: entry.entityId,
        requestId: actor.requestId,
        diff: toJsonSafe(diffOf(entry.before, entry.after)),
      };
      const prev = (await repo.lockChainHead(tx)) ?? GENESIS_HASH;
      await repo.insert(tx, event, prev, chainHash(prev, event));
    },

    async list(actor: Actor, filter: AuditFilter): Promise<AuditRow[]> {
      assertCan(actor, 'audit:read');
      return repo.list(deps.db, filter);
    },

    /** Recomputes every hash from the stored columns; the first mismatch is where tampering happened. */
    async verify(db: Executor = deps.db, batchSize = 1000): Promise<VerifyResult> {
      let prev = GENESIS_HASH;
      let afterSeq = '0';
      let checked = 0;
      for (;;) {
        const rows = await repo.batchAfter(db, afterSeq, batchSize);
        for (const row of rows) {
          const reason = checkRow(row, prev);
          if (reason) return { ok: false, checked, firstInvalid: { seq: row.seq, id: row.id, reason } };
          prev = row.hash;
          checked++;
        }
        if (rows.length < batchSize) return { ok: true, checked, firstInvalid: null };
        afterSeq = rows[rows.length - 1]!.seq;
      }
    },
  };
}

function checkRow(row: AuditRow, expectedPrev: string): string | null {
  if (row.prev_hash !== expectedPrev) return 'prev_hash does not match the hash of the preceding event (an event was removed, inserted or reordered)';
  const recomputed = chainHash(row.prev_hash, {
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
  return recomputed === row.hash ? null : 'the event content does not match its hash (the row was modified)';
}

export type AuditService = ReturnType<typeof createAuditService>;
