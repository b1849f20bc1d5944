/**
 * `npm run bench`: Shipgate's speed and memory figures, each beside a baseline measured in the same
 * run on the same machine (see bench/README.md). Prints one line per figure and exits 0 whether or
 * not the goals are met; it exits 1 only when a measurement could not be taken.
 *
 * Options (environment):
 *   BENCH_DURATION_SECONDS  measured load per server (default 10)
 *   BENCH_WARMUP_SECONDS    unmeasured load before it (default 3)
 *   BENCH_ROUNDS            measured runs per server, alternating bare/ours; the median is reported (default 2)
 *   BENCH_CONNECTIONS       concurrent HTTP connections (default 16)
 *   BENCH_POOL_SIZE         pg pool size of both servers (default 10, Shipgate's default)
 *   BENCH_IDLE_SECONDS      idle time before reading RSS (default 5)
 *   BENCH_PG_URL            PostgreSQL server, loopback only (default postgres://postgres@127.0.0.1:5432/postgres)
 *   BENCH_ONLY              comma list of parts to run: write,start (default both)
 *   BENCH_CPU_PROF_DIR      if set, the Shipgate write-benchmark process runs with --cpu-prof into this dir
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertLoopbackUrl, cleanupAll, createDatabase, freePort, mb, memoryOf, ms, queryOne, ratio,
  removeTempDir, ROOT, sleep, spawnTracked, stopProcess, tempDir, waitFor200, waitForOutput, type Child,
} from './lib.js';
import { load, type LoadResult } from './load.js';
import { childEnv, mintAdminToken, SHIPGATE, shipgatePgEnv, startShipgate } from './shipgate-pg.js';

const num = (name: string, def: number) => {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? def : Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

const DURATION = num('BENCH_DURATION_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 3);
const CONNECTIONS = Math.round(num('BENCH_CONNECTIONS', 16));
const POOL_SIZE = Math.round(num('BENCH_POOL_SIZE', 10));
const IDLE = num('BENCH_IDLE_SECONDS', 5);
const ROUNDS = Math.round(num('BENCH_ROUNDS', 2));
const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const ONLY = new Set((process.env.BENCH_ONLY || 'write,start').split(',').map((s) => s.trim()));
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : null;

const WRITE_GOAL = 0.5;
const COLD_START_GOAL_MS = 3_000;
const RSS_GOAL_MB = 250;
const RUN_ID = crypto.randomBytes(4).toString('hex');

const say = (line: string) => console.log(line);
const met = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

// ---------------------------------------------------------------- write throughput

function describe(name: string, r: LoadResult, label: string): string {
  const problems = r.bad || r.errors ? ` — WARNING: ${r.bad} non-2xx, ${r.errors} errors/timeouts (${r.statusCodes})` : '';
  return `write ${name}${label}: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, server CPU ${ms(r.cpuMsPerReq)} ms/req ` +
    `(${r.ok} × 2xx in ${DURATION} s, ${CONNECTIONS} connections)${problems}`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** The round with the median throughput stands for the server (latencies from the same round). */
const medianRound = (rs: LoadResult[]) => [...rs].sort((x, y) => x.rps - y.rps)[Math.floor((rs.length - 1) / 2)]!;

async function writeThroughput(): Promise<void> {
  assertLoopbackUrl(PG_URL);
  const bareUrl = await createDatabase(PG_URL, `shipgate_bench_${RUN_ID}_bare`);
  const oursUrl = await createDatabase(PG_URL, `shipgate_bench_${RUN_ID}_ours`);
  const scratch = tempDir('shipgate-bench-pg-');

  // (1) bare fastify + pg, its own process
  const bare = spawnTracked(['--import', 'tsx', path.join(ROOT, 'bench/bare-server.ts')], childEnv({
    BARE_DATABASE_URL: bareUrl, BARE_PORT: '0', BARE_POOL_SIZE: String(POOL_SIZE),
  }));
  const bareBase = (await waitForOutput(bare, /ready on (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!;

  // (2) Shipgate on a fresh database: mint a token first (the CLI works on the database directly)
  const sgEnv = shipgatePgEnv(oursUrl, scratch, POOL_SIZE);
  const token = await mintAdminToken(sgEnv);
  const { child: ours, url: oursBase } = await startShipgate(sgEnv, CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []);
  const oursHeaders = { authorization: `Bearer ${token}` };

  await load(bareBase, {}, `w${RUN_ID}`, WARMUP, CONNECTIONS, bare.pid);
  await load(oursBase, oursHeaders, `w${RUN_ID}`, WARMUP, CONNECTIONS, ours.pid);
  // alternate the two so that noise from other work on the machine hits both alike
  const bareRuns: LoadResult[] = [];
  const ourRuns: LoadResult[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const label = ROUNDS > 1 ? ` [round ${i + 1}/${ROUNDS}]` : '';
    const b = await load(bareBase, {}, `m${i}${RUN_ID}`, DURATION, CONNECTIONS, bare.pid);
    if (ROUNDS > 1) say(describe('bare fastify+pg INSERT', b, label));
    const o = await load(oursBase, oursHeaders, `m${i}${RUN_ID}`, DURATION, CONNECTIONS, ours.pid);
    if (ROUNDS > 1) say(describe('shipgate POST /api/v1/services', o, label));
    bareRuns.push(b);
    ourRuns.push(o);
  }
  await stopProcess(bare.proc, 5_000);
  // the server must exit by itself for --cpu-prof to write its profile
  await stopProcess(ours.proc, CPU_PROF_DIR ? 30_000 : 5_000);

  const b = medianRound(bareRuns);
  const o = medianRound(ourRuns);
  const median$ = ROUNDS > 1 ? ` [median of ${ROUNDS} rounds]` : '';
  say(describe('bare fastify+pg INSERT', b, median$));
  say(describe('shipgate POST /api/v1/services', o, median$));

  const rows = await queryOne<{ services: string; audit: string; jobs: string }>(oursUrl, `
    select (select count(*) from services) as services, (select count(*) from audit_events) as audit,
           (select count(*) from pgboss.job) + (select count(*) from pgboss.archive) as jobs`).catch(() => null);
  if (rows) say(`write shipgate rows written (warm-up + measured): ${rows.services} services, ${rows.audit} audit events, ${rows.jobs} outbox jobs`);

  const rpsRatio = median(ourRuns.map((r, i) => r.rps / bareRuns[i]!.rps));
  say(
    `write ratio ours/bare: throughput ${ratio(rpsRatio)}×${ROUNDS > 1 ? ` (median of per-round ratios ${ourRuns.map((r, i) => ratio(r.rps / bareRuns[i]!.rps)).join(', ')})` : ''}, ` +
      `p50 latency ${ratio(o.p50 / b.p50)}×, p99 latency ${ratio(o.p99 / b.p99)}×, server CPU per request ${ratio(o.cpuMsPerReq / b.cpuMsPerReq)}×`,
  );
  say(`write goal ours ≥ ${WRITE_GOAL}× bare throughput: ${met(rpsRatio >= WRITE_GOAL)} (${ratio(rpsRatio)}×)`);
}

// ---------------------------------------------------------------- cold start, warm restart, idle RSS

interface Started {
  child: Child;
  ms: number;
}

async function startAndTime(args: string[], env: NodeJS.ProcessEnv, port: number, timeoutMs: number, probe = '/readyz'): Promise<Started> {
  const t0 = performance.now();
  const child = spawnTracked(args, env);
  const t1 = await waitFor200(`http://127.0.0.1:${port}${probe}`, child, timeoutMs);
  return { child, ms: t1 - t0 };
}

async function idleMemory(child: Child) {
  await sleep(IDLE * 1000);
  const m = memoryOf(child.pid);
  if (m.childPids.length) {
    say(`  note: pid ${child.pid} has child processes ${m.childPids.join(', ')} using ${mb(m.childrenRssMB)} MB more`);
  }
  return m;
}

/** The Node flags `npm start` gives the server, read from package.json so the bench measures what users run. */
function npmStartNodeFlags(): string[] {
  const script = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const m = /node((?:\s+--[\w-]+(?:=\S+)?)*)\s+bin\/shipgate\.js/.exec(script);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

async function startup(): Promise<void> {
  // baseline: a bare Node HTTP server, started and polled the same way as Shipgate
  const basePort = await freePort();
  const baseline = await startAndTime(
    ['-e', `require('http').createServer((q, s) => s.end('ok')).listen(${basePort}, '127.0.0.1')`],
    childEnv({}), basePort, 10_000, '/',
  );
  const baseMem = await idleMemory(baseline.child);
  await stopProcess(baseline.child.proc, 2_000);
  say(`start bare node http server (spawn → 200): ${ms(baseline.ms)} ms`);

  const dataDir = tempDir('shipgate-bench-embedded-');
  const port = await freePort();
  const env = childEnv({ SHIPGATE_DATA_DIR: dataDir, SHIPGATE_PORT: String(port), SHIPGATE_HOST: '127.0.0.1', SHIPGATE_LOG_LEVEL: 'silent' });

  const flags = npmStartNodeFlags();
  say(`start: node flags as in npm start: ${flags.join(' ') || '(none)'}`);
  const cold = await startAndTime([...flags, SHIPGATE, 'serve'], env, port, 120_000);
  const selfReported = /ready on \S+ in (\d+) ms/.exec(cold.child.output())?.[1];
  say(
    `start shipgate embedded, new data dir (spawn → /readyz 200): ${ms(cold.ms)} ms = ${ratio(cold.ms / baseline.ms)}× bare` +
      `${selfReported ? ` (server reports ${selfReported} ms after its modules loaded)` : ''}; goal < ${COLD_START_GOAL_MS} ms: ${met(cold.ms < COLD_START_GOAL_MS)}`,
  );
  const coldMem = await idleMemory(cold.child);
  await stopProcess(cold.child.proc, 15_000);

  const warm = await startAndTime([...flags, SHIPGATE, 'serve'], env, port, 60_000);
  say(`start shipgate embedded, existing data dir (warm restart): ${ms(warm.ms)} ms = ${ratio(warm.ms / baseline.ms)}× bare; goal < ${COLD_START_GOAL_MS} ms: ${met(warm.ms < COLD_START_GOAL_MS)}`);
  const warmMem = await idleMemory(warm.child);
  await stopProcess(warm.child.proc, 15_000);
  removeTempDir(dataDir);

  say(`idle RSS bare node http server (${IDLE} s idle): ${mb(baseMem.rssMB)} MB (peak ${mb(baseMem.peakRssMB)} MB)`);
  say(
    `idle RSS shipgate embedded after cold start + ${IDLE} s: ${mb(coldMem.rssMB)} MB = ${ratio(coldMem.rssMB / baseMem.rssMB)}× bare ` +
      `(peak ${mb(coldMem.peakRssMB)} MB); goal < ${RSS_GOAL_MB} MB: ${met(coldMem.rssMB + coldMem.childrenRssMB < RSS_GOAL_MB)}`,
  );
  say(
    `idle RSS shipgate embedded after warm restart + ${IDLE} s: ${mb(warmMem.rssMB)} MB = ${ratio(warmMem.rssMB / baseMem.rssMB)}× bare ` +
      `(peak ${mb(warmMem.peakRssMB)} MB); goal < ${RSS_GOAL_MB} MB: ${met(warmMem.rssMB + warmMem.childrenRssMB < RSS_GOAL_MB)}`,
  );
}

// ---------------------------------------------------------------- main

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    console.error(`\n${sig}: stopping servers and dropping bench databases…`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

let exitCode = 0;
try {
  say(`bench ${RUN_ID}: node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)} at start, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${ROUNDS} × ${DURATION} s per server, pg pool ${POOL_SIZE}`);
  if (ONLY.has('write')) await writeThroughput();
  if (ONLY.has('start')) await startup();
} catch (err) {
  if (!interrupted) {
    console.error('bench failed:', err);
    exitCode = 1;
  }
} finally {
  if (!interrupted) await cleanupAll();
}
process.exit(exitCode);
