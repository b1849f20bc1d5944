/**
 * Preload for diagnosis only (bench/diagnose-write.ts): times every query the process sends through
 * `pg`, grouped by statement, plus pool checkout waits and how long the audit-chain advisory lock is
 * held (lock granted → commit). Writes JSON to TRACE_PG_OUT when the process exits.
 *   node --import tsx --import ./bench/trace-pg.ts bin/shipgate.js serve
 * No source file of the server is changed: it patches pg's prototypes in this process.
 */
import fs from 'node:fs';
import pg from 'pg';

interface Stat { count: number; totalMs: number; maxMs: number }
const byStatement = new Map<string, Stat>();
const add = (key: string, dt: number) => {
  const s = byStatement.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
  s.count++;
  s.totalMs += dt;
  s.maxMs = Math.max(s.maxMs, dt);
  byStatement.set(key, s);
};
const lockHeld: Stat = { count: 0, totalMs: 0, maxMs: 0 };
const lockGrantedAt = new WeakMap<object, number>();
const poolWait: Stat = { count: 0, totalMs: 0, maxMs: 0 };

const normalise = (text: string) => text.replace(/\s+/g, ' ').replace(/\$\d+(, \$\d+)*/g, '$n').trim().slice(0, 140);

const origQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: object, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: string } | null)?.text;
  const result = origQuery.apply(this, args);
  if (typeof text !== 'string' || !result || typeof (result as Promise<unknown>).then !== 'function') return result;
  const t0 = performance.now();
  const key = normalise(text);
  const client = this;
  return (result as Promise<unknown>).then((r) => {
    const t1 = performance.now();
    add(key, t1 - t0);
    if (key.includes('pg_advisory_xact_lock')) lockGrantedAt.set(client, t1);
    if (/^(commit|rollback)$/i.test(key)) {
      const since = lockGrantedAt.get(client);
      if (since !== undefined) {
        const held = t1 - since;
        lockHeld.count++;
        lockHeld.totalMs += held;
        lockHeld.maxMs = Math.max(lockHeld.maxMs, held);
        lockGrantedAt.delete(client);
      }
    }
    return r;
  });
};

const origConnect = pg.Pool.prototype.connect as (...args: unknown[]) => unknown;
(pg.Pool.prototype as unknown as { connect: (...args: unknown[]) => unknown }).connect = function (this: object, ...args: unknown[]) {
  const t0 = performance.now();
  const result = origConnect.apply(this, args);
  if (!result || typeof (result as Promise<unknown>).then !== 'function') return result;
  return (result as Promise<unknown>).then((c) => {
    const dt = performance.now() - t0;
    poolWait.count++;
    poolWait.totalMs += dt;
    poolWait.maxMs = Math.max(poolWait.maxMs, dt);
    return c;
  });
};

/** Counters start from zero when the process receives SIGUSR2 (after warm-up). */
process.on('SIGUSR2', () => {
  byStatement.clear();
  Object.assign(lockHeld, { count: 0, totalMs: 0, maxMs: 0 });
  Object.assign(poolWait, { count: 0, totalMs: 0, maxMs: 0 });
});

process.on('exit', () => {
  const out = process.env.TRACE_PG_OUT;
  if (!out) return;
  const statements = [...byStatement.entries()].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.totalMs - a.totalMs);
  fs.writeFileSync(out, JSON.stringify({ statements, lockHeld, poolWait }, null, 2));
});
