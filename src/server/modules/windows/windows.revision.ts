import { sql } from 'kysely';
import type { Executor } from '../../db/tx.js';

/**
 * Every transaction that writes windows, overrides or bookings calls `bumpWindowRevision`; a
 * process compares `windowRevision` with the revision its in-memory index was built at and reloads
 * when they differ (docs/decisions/0008-time-windows.md).
 */
export async function bumpWindowRevision(tx: Executor): Promise<void> {
  await sql`update time_window_state set revision = revision + 1 where id = 1`.execute(tx);
}

export async function windowRevision(db: Executor): Promise<string> {
  const { rows } = await sql<{ revision: string }>`select revision from time_window_state where id = 1`.execute(db);
  return rows[0]?.revision ?? '0';
}
