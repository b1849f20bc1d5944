/**
 * Time-window evaluation over HTTP with 10,000 windows stored in PostgreSQL (issue: "over HTTP
 * report req/s"). Seeds the windows of bench/windows.ts (100 services, 4 environments, 20 teams),
 * starts Shipgate on that database, and loads `POST /api/v1/windows/evaluate` with random requests.
 * Baseline in the same run and process: `GET /api/v1/auth/me`, the cheapest authenticated route,
 * so the ratio shows what evaluating adds to authentication, validation and HTTP.
 *   npx tsx bench/windows-http.ts   (BENCH_WINDOWS, BENCH_HTTP_SECONDS, BENCH_HTTP_CONNECTIONS, BENCH_PG_URL)
 */
import crypto from 'node:crypto';
import autocannon from 'autocannon';
import { connectDatabase } from '../src/server/db/connect.js';
import { migrateToLatest } from '../src/server/db/migrate.js';
import { newId } from '../src/server/lib/ids.js';
import { bounds } from '../src/server/modules/windows/engine/index.js';
import { assertLoopbackUrl, cleanupAll, createDatabase, dbUrl, dropDatabase, ms, onCleanup, ratio, removeTempDir, stopProcess, tempDir } from './lib.js';
import { mintAdminToken, shipgatePgEnv, startShipgate } from './shipgate-pg.js';
import { generateWindows, rng, type WindowFixture } from './windows.js';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const COUNT = Number(process.env.BENCH_WINDOWS ?? 10_000);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);

/** Stores the fixture's windows with real ids; returns the keys requests can name. */
async function seed(url: string, f: WindowFixture): Promise<void> {
  const database = await connectDatabase({ kind: 'pg', url, poolSize: 4 });
  await migrateToLatest(database);
  const db = database.db;
  const now = new Date();
  const ids = new Map<string, string>();
  const idOf = (key: string) => ids.get(key) ?? (ids.set(key, newId()), ids.get(key)!);
  await db.insertInto('teams').values(f.teams.map((key) => ({ id: idOf(key), key, name: key, description: '', updated_at: now }))).execute();
  await db.insertInto('services').values(f.services.map((s) => ({ id: idOf(s.id), key: s.id, name: s.id, description: '', tier: s.tier, tags: s.tags, owner_team_id: null, governance_profile: null, updated_at: now }))).execute();
  await db.insertInto('environments').values(f.environments.map((key, i) => ({ id: idOf(key), key, name: key, description: '', tier: key === 'prod' ? 'production' as const : 'testing' as const, sort_order: i, change_controlled: key === 'prod', updated_at: now }))).execute();
  // bookings are rows of their own (environment_bookings); the stored windows are the other kinds
  const stored = f.windows.filter((w) => w.kind !== 'booking').slice(0, COUNT);
  for (let i = 0; i < stored.length; i += 500) {
    const batch = stored.slice(i, i + 500).map((w) => ({ w, id: newId(), b: bounds(w) }));
    await db.insertInto('time_windows').values(batch.map(({ w, id, b }) => ({
      id, name: w.name, kind: w.kind as 'blackout' | 'freeze' | 'maintenance', time_zone: w.timeZone, starts_local: w.start, ends_local: w.end,
      rrule: w.rrule, exdates: w.exdates, first_start: new Date(b.firstStart), last_end: b.lastEnd === null ? null : new Date(b.lastEnd),
      scope_all: w.scope.all, scope_service_tiers: w.scope.serviceTiers, scope_tags: w.scope.tags, created_by: null, updated_at: now,
    }))).execute();
    const svc = batch.flatMap(({ w, id }) => [...new Set(w.scope.serviceIds)].map((s) => ({ window_id: id, service_id: idOf(s) })));
    const env = batch.flatMap(({ w, id }) => [...new Set(w.scope.environmentIds)].map((e) => ({ window_id: id, environment_id: idOf(e) })));
    if (svc.length) await db.insertInto('time_window_services').values(svc).execute();
    if (env.length) await db.insertInto('time_window_environments').values(env).execute();
  }
  await db.updateTable('time_window_state').set({ revision: '1' }).execute();
  await database.close();
  console.log(`windows-http seeded ${stored.length} windows (blackouts, freezes, maintenance windows)`);
  if (stored.length < COUNT) throw new Error(`the fixture held only ${stored.length} windows that are not bookings`);
}

async function run(base: string, token: string, label: string, request: autocannon.Request): Promise<number> {
  const result = await autocannon({ url: base, connections: CONNECTIONS, duration: SECONDS, timeout: 10, requests: [request] });
  const rps = result['2xx'] / result.duration;
  const other = result.non2xx + result.errors;
  console.log(`windows-http ${label}: ${Math.round(rps)} req/s, latency p50 ${ms(result.latency.p50)} ms, p99 ${ms(result.latency.p99)} ms (${CONNECTIONS} connections, ${SECONDS} s${other ? `, ${other} non-2xx or errors` : ''})`);
  if (other > result['2xx'] / 100) throw new Error(`${label}: too many failures (${other})`);
  return rps;
}

async function main() {
  assertLoopbackUrl(PG);
  const fixture = generateWindows(COUNT * 2); // about a third of the fixture are bookings, left out
  const name = `shipgate_bench_win_${crypto.randomBytes(4).toString('hex')}`;
  await createDatabase(PG, name);
  onCleanup(() => dropDatabase(PG, name));
  const url = dbUrl(PG, name);
  await seed(url, fixture);

  const scratch = tempDir('shipgate-bench-win-');
  onCleanup(async () => removeTempDir(scratch));
  const env = shipgatePgEnv(url, scratch, 10);
  const token = await mintAdminToken(env);
  const { child, url: base } = await startShipgate(env);
  onCleanup(() => stopProcess(child.proc, 10_000));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

  const r = rng(7);
  const body = () => {
    const start = Date.UTC(2025, 0, 1) + Math.floor(r() * 3 * 365 * 96) * 900_000;
    return JSON.stringify({
      service: fixture.services[Math.floor(r() * fixture.services.length)]!.id,
      environment: fixture.environments[Math.floor(r() * fixture.environments.length)]!,
      start: new Date(start).toISOString(), end: new Date(start + (1 + Math.floor(r() * 8)) * 3_600_000).toISOString(),
      kind: r() < 0.5 ? 'change' : 'deployment',
    });
  };
  const t0 = performance.now();
  const first = await fetch(`${base}/api/v1/windows/evaluate`, { method: 'POST', headers, body: body() });
  if (first.status !== 200) throw new Error(`evaluate answered ${first.status}: ${await first.text()}`);
  console.log(`windows-http first evaluation (loads and indexes ${COUNT} windows): ${ms(performance.now() - t0)} ms`);
  // a second warm-up pass expands the occurrences the random requests will touch
  await run(base, token, 'warm-up evaluate', { method: 'POST', path: '/api/v1/windows/evaluate', headers, setupRequest: (req) => ({ ...req, body: body() }) });

  const baseline = await run(base, token, 'baseline GET /api/v1/auth/me', { method: 'GET', path: '/api/v1/auth/me', headers: { authorization: headers.authorization } });
  const evaluate = await run(base, token, 'POST /api/v1/windows/evaluate', { method: 'POST', path: '/api/v1/windows/evaluate', headers, setupRequest: (req) => ({ ...req, body: body() }) });
  console.log(`windows-http ratio evaluate/baseline throughput: ${ratio(evaluate / baseline)}× (${Math.round(evaluate)} vs ${Math.round(baseline)} req/s)`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanupAll);
