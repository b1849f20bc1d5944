/**
 * Change requests over HTTP on PostgreSQL (issue goal: ≥ 0.4× the bare insert baseline's req/s and
 * p99 < 50 ms at 32 concurrent clients), three loads against servers in their own processes:
 *   (1) bare fastify+pg `POST /api/v1/changes`: one INSERT of a row shaped like change_requests;
 *   (2) Shipgate `POST /api/v1/changes`: normal changes with a planned window, services and
 *       environments under governance profiles, so numbering, conflict detection, risk, policy evaluation, the first
 *       transition, outbox and audit run;
 *   (3) Shipgate `POST /api/v1/changes/{id}/transitions` New → Assess, each request a different change
 *       (made in (2) or beforehand) with its If-Match.
 * The database is seeded over the API: 3 teams, 20 services (with dependencies), 4 environments
 * (production change-controlled), the `cab` approver group the default approval rules name.
 *   npx tsx bench/changes.ts
 * Options (environment): BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (32),
 * BENCH_POOL_SIZE (10), BENCH_PG_URL (loopback only), BENCH_CPU_PROF_DIR (the Shipgate process runs with --cpu-prof into it).
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  assertLoopbackUrl, cleanupAll, cpuMsOf, createDatabase, ms, onCleanup, ratio, ROOT, spawnTracked, stopProcess, tempDir, waitForOutput,
} from './lib.js';
import { exampleProfiles } from '../src/server/modules/governance/examples.js';
import { childEnv, mintAdminToken, shipgatePgEnv, startShipgate } from './shipgate-pg.js';

const num = (name: string, def: number) => {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? def : Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const DURATION = num('BENCH_DURATION_SECONDS', 10);
const WARMUP = num('BENCH_WARMUP_SECONDS', 3);
const CONNECTIONS = Math.round(num('BENCH_CONNECTIONS', 32));
const POOL_SIZE = Math.round(num('BENCH_POOL_SIZE', 10));
const PG_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF_DIR ? path.resolve(process.env.BENCH_CPU_PROF_DIR) : null;
const RATIO_GOAL = 0.4;
const P99_GOAL_MS = 50;
const RUN_ID = crypto.randomBytes(4).toString('hex');
const HOUR = 3_600_000;

const say = (line: string) => console.log(line);
const met = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

interface Result {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  errors: number;
  seconds: number;
  cpuMsPerReq: number;
  statusCodes: string;
  note: string;
}

/** One bounded autocannon run; `next` builds each request, or returns null when it has none left (the run then stops). */
function run(base: string, seconds: number, pid: number, next: () => autocannon.Request | null, amount?: number): Promise<Result> {
  const cpuBefore = cpuMsOf(pid);
  let exhausted = false;
  let last: autocannon.Request | null = null;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: base, connections: CONNECTIONS, timeout: 10, ...(amount ? { amount } : { duration: seconds }),
      requests: [{
        setupRequest: (req) => {
          const r = exhausted ? null : next();
          if (r === null) {
            if (!exhausted) {
              exhausted = true;
              setImmediate(() => instance.stop());
            }
            return { ...req, ...last };
          }
          last = r;
          return { ...req, ...r };
        },
      }],
    }, (err, result) => {
      if (err) return reject(err);
      const cpuMs = cpuMsOf(pid) - cpuBefore;
      resolve({
        rps: result['2xx'] / result.duration, p50: result.latency.p50, p99: result.latency.p99, ok: result['2xx'], bad: result.non2xx,
        errors: result.errors + result.timeouts, seconds: result.duration, cpuMsPerReq: result['2xx'] > 0 ? cpuMs / result['2xx'] : NaN,
        statusCodes: Object.entries(result.statusCodeStats ?? {}).map(([c, s]) => `${c}×${s.count}`).join(' '),
        note: exhausted ? ' — ran out of prepared changes, stopped early' : '',
      });
    });
  });
}

function describe(label: string, r: Result): string {
  const problems = r.bad || r.errors ? ` — WARNING: ${r.bad} non-2xx, ${r.errors} errors/timeouts` : '';
  return `changes ${label}: ${r.rps.toFixed(0)} req/s, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, server CPU ${ms(r.cpuMsPerReq)} ms/req ` +
    `(status ${r.statusCodes || 'none'} in ${r.seconds} s, ${CONNECTIONS} connections)${problems}${r.note}`;
}

async function api(base: string, token: string, method: string, p: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

const pick = <T>(xs: T[]) => xs[crypto.randomInt(0, xs.length)]!;
const EPOCH = Date.UTC(new Date().getUTCFullYear() + 1, 0, 1);

/** A normal change on 1–2 services and 1–2 environments, 1–4 hours somewhere in a year: few, realistic conflicts. */
function changeBody(n: number, teams: string[], services: string[], envs: string[]) {
  const start = EPOCH + crypto.randomInt(0, 365 * 24) * HOUR;
  return {
    type: 'normal', title: `Bench change ${n}`, description: 'Roll out the new connection pool settings.', justification: 'Latency under load.',
    impact: 'medium', backoutPlan: 'Roll back to the previous release.', implementationPlan: 'Deploy with the pipeline.',
    plannedStart: new Date(start).toISOString(), plannedEnd: new Date(start + crypto.randomInt(1, 5) * HOUR).toISOString(),
    services: [...new Set([pick(services), pick(services)])], environments: [...new Set([pick(envs), pick(envs)])], assignmentTeam: pick(teams),
  };
}

async function main() {
  assertLoopbackUrl(PG_URL);
  say(`changes ${RUN_ID}: node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)} at start, ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per load, pg pool ${POOL_SIZE}`);
  const bareUrl = await createDatabase(PG_URL, `shipgate_bench_${RUN_ID}_chg_bare`);
  const oursUrl = await createDatabase(PG_URL, `shipgate_bench_${RUN_ID}_chg_ours`);

  const bare = spawnTracked(['--import', 'tsx', path.join(ROOT, 'bench/bare-server.ts')], childEnv({ BARE_DATABASE_URL: bareUrl, BARE_PORT: '0', BARE_POOL_SIZE: String(POOL_SIZE) }));
  const bareBase = (await waitForOutput(bare, /ready on (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!;

  const sgEnv = shipgatePgEnv(oursUrl, tempDir('shipgate-bench-changes-'), POOL_SIZE);
  const token = await mintAdminToken(sgEnv);
  const { child: ours, url: base } = await startShipgate(sgEnv, CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : []);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  // seed over the API
  const teams = ['payments', 'platform', 'storefront'];
  for (const key of teams) await api(base, token, 'POST', '/api/v1/teams', { key, name: key });
  const envs = ['dev', 'test', 'stage', 'prod'];
  const envTiers = ['development', 'testing', 'staging', 'production'];
  for (const [i, key] of envs.entries()) await api(base, token, 'POST', '/api/v1/environments', { key, name: key, tier: envTiers[i], order: i * 10 });
  await api(base, token, 'POST', '/api/v1/approver-groups', { key: 'cab', name: 'Change Advisory Board', members: ['ci@bench.local'] })
    .catch(() => api(base, token, 'POST', '/api/v1/approver-groups', { key: 'cab', name: 'Change Advisory Board' }));
  await api(base, token, 'POST', '/api/v1/approver-groups', { key: 'emergency-cab', name: 'Emergency CAB' });
  // every service is under a governance profile, so each create also evaluates a policy
  for (const p of exampleProfiles()) {
    await api(base, token, 'POST', '/api/v1/governance-profiles', { key: p.key, name: p.name, policy: { format: p.format, source: p.source, activate: true } });
  }
  const profiles = exampleProfiles().map((p) => p.key);
  const services: string[] = [];
  for (let i = 0; i < 20; i++) {
    const key = `svc-${i}`;
    await api(base, token, 'POST', '/api/v1/services', { key, name: `Service ${i}`, tier: (i % 4) + 1, governanceProfile: profiles[i % profiles.length], ...(i >= 5 ? { dependsOn: [services[i % 5]!] } : {}) });
    services.push(key);
  }
  say(`changes seeded over the API: ${teams.length} teams, ${services.length} services (15 dependencies) under the ${profiles.join(', ')} governance profiles, ${envs.length} environments, approver groups cab and emergency-cab`);

  let n = 0;
  const createReq = (): autocannon.Request => ({ method: 'POST', path: '/api/v1/changes', headers: auth, body: JSON.stringify(changeBody(n++, teams, services, envs)) });
  const bareReq = (): autocannon.Request => ({ method: 'POST', path: '/api/v1/changes', headers: { 'content-type': 'application/json' }, body: JSON.stringify(changeBody(n++, teams, services, envs)) });

  // (1) and (2), warm-up then measured
  await run(bareBase, WARMUP, bare.pid, bareReq);
  const b = await run(bareBase, DURATION, bare.pid, bareReq);
  say(describe('bare fastify+pg INSERT (POST /api/v1/changes)', b));
  await run(base, WARMUP, ours.pid, createReq);
  const c = await run(base, DURATION, ours.pid, createReq);
  say(describe('shipgate POST /api/v1/changes (normal, window, services, environments)', c));

  // (3) changes in New to move to Assess: those made so far, topped up to well above what the run can use
  const client = new pg.Client({ connectionString: oursUrl });
  await client.connect();
  onCleanup(() => client.end());
  const countNew = async () => Number((await client.query(`select count(*) as n from change_requests where state = -5`)).rows[0].n);
  const need = Math.ceil(Math.max(c.rps, 50) * 4 * (WARMUP + DURATION));
  const have = await countNew();
  if (have < need) {
    const top = await run(base, 0, ours.pid, createReq, need - have);
    if (top.bad || top.errors) throw new Error(`preparing changes failed: ${top.statusCodes}`);
  }
  const pending = (await client.query<{ id: string; version: number }>(`select id, version from change_requests where state = -5 order by random()`)).rows;
  say(`changes prepared ${pending.length} changes in New for the transition load (${have} from the create load)`);
  const transitionReq = (): autocannon.Request | null => {
    const ch = pending.pop();
    if (!ch) return null;
    return {
      method: 'POST', path: `/api/v1/changes/${ch.id}/transitions`, headers: { ...auth, 'if-match': `"${ch.version}"` },
      body: JSON.stringify({ to: 'assess', comment: 'ready for assessment' }),
    };
  };
  await run(base, WARMUP, ours.pid, transitionReq);
  const t = await run(base, DURATION, ours.pid, transitionReq);
  say(describe('shipgate POST /api/v1/changes/{id}/transitions New → Assess (If-Match)', t));

  const rows = (await client.query(`select (select count(*) from change_requests) as changes, (select count(*) from change_requests where state = -4) as assessed,
    (select count(*) from change_requests where jsonb_array_length(conflicts) > 0) as with_conflicts, (select count(*) from change_requests where risk_level is not null) as with_risk,
    (select count(*) from audit_events) as audit`)).rows[0];
  say(`changes rows: ${rows.changes} changes (${rows.with_risk} with computed risk, ${rows.with_conflicts} with conflicts), ${rows.assessed} in Assess, ${rows.audit} audit events`);

  await stopProcess(bare.proc, 5_000);
  // the server must exit by itself for --cpu-prof to write its profile
  await stopProcess(ours.proc, CPU_PROF_DIR ? 30_000 : 5_000);

  for (const [label, r] of [['create', c], ['transition', t]] as const) {
    const x = r.rps / b.rps;
    say(`changes ${label} ratio ours/bare: throughput ${ratio(x)}×, p50 ${ratio(r.p50 / b.p50)}×, p99 ${ratio(r.p99 / b.p99)}×, server CPU per request ${ratio(r.cpuMsPerReq / b.cpuMsPerReq)}×`);
    say(`changes ${label} goal ≥ ${RATIO_GOAL}× bare throughput: ${met(x >= RATIO_GOAL)} (${ratio(x)}×); p99 < ${P99_GOAL_MS} ms: ${met(r.p99 < P99_GOAL_MS)} (${ms(r.p99)} ms)` +
      `${r.bad + r.errors > r.ok / 100 ? ' — more than 1% of requests failed: the figure is not valid' : ''}`);
  }
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  console.error('bench failed:', err);
  exitCode = 1;
} finally {
  await cleanupAll();
}
process.exit(exitCode);
