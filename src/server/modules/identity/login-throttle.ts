import { sql } from 'kysely';
import type { Db } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { DomainError } from '../../lib/errors.js';

export class RateLimited extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Too many requests', `Too many failed sign-in attempts. Try again in ${retryAfterSeconds} s.`, {
      retryAfter: retryAfterSeconds,
    });
  }
}

export interface ThrottleOptions {
  maxFailures: number; // per bucket and window
  windowSeconds: number;
}

/**
 * Failed sign-ins counted per e-mail and per client address in fixed windows, in the database so
 * every server process sees the same counts.
 */
export function createLoginThrottle(db: Db, clock: Clock, opts: ThrottleOptions) {
  const buckets = (email: string, ip: string) => [`login:email:${email.toLowerCase()}`, `login:ip:${ip}`];

  return {
    async assertAllowed(email: string, ip: string): Promise<void> {
      const now = clock.now();
      const rows = await db.selectFrom('rate_limits').selectAll().where('bucket', 'in', buckets(email, ip)).execute();
      let wait = 0;
      for (const row of rows) {
        const ends = row.window_start.getTime() + opts.windowSeconds * 1000;
        // the per-address bucket allows more, so one user's mistakes do not lock out a shared NAT
        const limit = row.bucket.startsWith('login:ip:') ? opts.maxFailures * 5 : opts.maxFailures;
        if (row.hits >= limit && ends > now.getTime()) wait = Math.max(wait, Math.ceil((ends - now.getTime()) / 1000));
      }
      if (wait > 0) throw new RateLimited(wait);
    },

    async recordFailure(email: string, ip: string): Promise<void> {
      const now = clock.now();
      const expired = new Date(now.getTime() - opts.windowSeconds * 1000);
      for (const bucket of buckets(email, ip)) {
        await sql`
          insert into rate_limits (bucket, window_start, hits) values (${bucket}, ${now}, 1)
          on conflict (bucket) do update set
            hits = case when rate_limits.window_start <= ${expired} then 1 else rate_limits.hits + 1 end,
            window_start = case when rate_limits.window_start <= ${expired} then ${now} else rate_limits.window_start end
        `.execute(db);
      }
    },

    async reset(email: string): Promise<void> {
      await db.deleteFrom('rate_limits').where('bucket', '=', `login:email:${email.toLowerCase()}`).execute();
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
