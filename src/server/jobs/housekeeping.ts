import type { Db } from '../db/tx.js';
import type { Clock } from '../lib/clock.js';
import { IDEMPOTENCY_TTL_HOURS } from '../lib/retention.js';

export const HOUSEKEEPING_QUEUE = 'housekeeping';

/** Removes what has expired: sessions, idempotency records past 24 h, finished rate-limit windows. */
export async function housekeeping(db: Db, clock: Clock, loginWindowSeconds: number) {
  const now = clock.now().getTime();
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<', new Date(now)).executeTakeFirst();
  const keys = await db.deleteFrom('idempotency_keys').where('created_at', '<', new Date(now - IDEMPOTENCY_TTL_HOURS * 3600_000)).executeTakeFirst();
  const limits = await db.deleteFrom('rate_limits').where('window_start', '<', new Date(now - loginWindowSeconds * 1000)).executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), idempotencyKeys: Number(keys.numDeletedRows), rateLimits: Number(limits.numDeletedRows) };
}
