/**
 * Where does the time of `POST /api/v1/services` go? Not part of `npm run bench`; run it by hand:
 *   npx tsx bench/diagnose-write.ts            (BENCH_DURATION_SECONDS, BENCH_CONNECTIONS, BENCH_CPU_PROF_DIR as in run.ts)
 * Starts Shipgate on a fresh PostgreSQL database with bench/trace-pg.ts preloaded, loads it, and
 * prints (1) per-statement query time as seen by the server, (2) what the database backends were
 * doing (pg_stat_activity sampled every 10 ms), (3) pool waits and audit-lock hold times.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { assertLoopbackUrl, cleanupAll, createDatabase, ms, ROOT, sleep, stopProcess, tempDir } from './lib.js';
import { load } from './load.js';
import { mintAdminToken, shipgatePgEnv, startShipgate } from './shipgate-pg.js';

const DURATION = Number(process.env.BENCH_DURATION_SECONDS || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE || 10);
const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : null;
const RUN_ID = crypto.randomBytes(4).toString('hex');

interface Trace {
  statements: { sql: string; count: number; totalMs: number; maxMs: number }[];
  lockHeld: { count: number; totalMs: number; maxMs: number };
  poolWait: { count: number; totalMs: number; maxMs: number };
}

async function main() {
  assertLoopbackUrl(PG_URL);
  const name = `shipgate_bench_${RUN_ID}_diag`;
  const url = await createDatabase(PG_URL, name);
  const scratch = tempDir('shipgate-bench-diag-');
  const traceOut = path.join(scratch, 'trace.json');
  const env = shipgatePgEnv(url, scratch, POOL_SIZE, { TRACE_PG_OUT: traceOut });
  const token = await mintAdminToken(env);
  const nodeArgs = ['--import', 'tsx', '--import', path.join(ROOT, 'bench/trace-pg.ts')];
  if (CPU_PROF_DIR) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`);
  const { child, url: base } = await startShipgate(env, nodeArgs);
  const headers = { authorization: `Bearer ${token}` };

  await load(base, headers, `w${RUN_ID}`, 3, CONNECTIONS, child.pid);
  child.proc.kill('SIGUSR2'); // reset the trace counters after warm-up
  await sleep(100);

  // sample what the backends of this database are doing while the load runs
  const sampler = new pg.Client({ connectionString: url });
  await sampler.connect();
  const states = new Map<string, number>();
  let samples = 0;
  let sampling = true;
  const samplerDone = (async () => {
    while (sampling) {
      const { rows } = await sampler.query<{ k: string }>(`
        select coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' | ' || state || ' | ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as k
        from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`);
      samples++;
      for (const r of rows) states.set(r.k, (states.get(r.k) ?? 0) + 1);
      await sleep(10);
    }
  })();
  const r = await load(base, headers, `m${RUN_ID}`, DURATION, CONNECTIONS, child.pid);
  sampling = false;
  await samplerDone;
  await sampler.end();
  await stopProcess(child.proc, 30_000);

  console.log(`load: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, server CPU ${ms(r.cpuMsPerReq)} ms/req, ${r.ok} × 2xx, ${r.bad} non-2xx`);
  if (!fs.existsSync(traceOut)) {
    console.log('no trace written (the server did not exit cleanly)');
  } else {
    const t = JSON.parse(fs.readFileSync(traceOut, 'utf8')) as Trace;
    const perReq = (v: number) => (r.ok ? v / r.ok : NaN);
    console.log(`\nqueries seen by the server (per successful request; measured ${DURATION} s):`);
    const total = t.statements.reduce((a, s) => a + s.totalMs, 0);
    console.log(`  total ${t.statements.reduce((a, s) => a + s.count, 0) / (r.ok || 1)} queries/req, ${ms(perReq(total))} ms/req of query time`);
    for (const s of t.statements.slice(0, 20)) {
      console.log(`  ${(s.count / (r.ok || 1)).toFixed(2).padStart(5)}×/req  avg ${ms(s.totalMs / s.count).padStart(5)} ms  max ${ms(s.maxMs).padStart(5)} ms  ${ms(perReq(s.totalMs)).padStart(6)} ms/req  ${s.sql}`);
    }
    console.log(`  pool checkout: ${t.poolWait.count} × avg ${ms(t.poolWait.totalMs / (t.poolWait.count || 1))} ms (max ${ms(t.poolWait.maxMs)} ms)`);
    console.log(`  audit-chain advisory lock held (granted → commit): ${t.lockHeld.count} × avg ${ms(t.lockHeld.totalMs / (t.lockHeld.count || 1))} ms (max ${ms(t.lockHeld.maxMs)} ms) → at most ${(1000 / (t.lockHeld.totalMs / (t.lockHeld.count || 1))).toFixed(0)} writes/s through the lock`);
  }
  console.log(`\ndatabase backends, ${samples} samples (avg active backends per sample: what they wait on | state | query):`);
  for (const [k, n] of [...states.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${(n / samples).toFixed(2).padStart(5)}  ${k}`);
  }
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error('diagnosis failed:', err);
  code = 1;
} finally {
  await cleanupAll();
}
process.exit(code);
