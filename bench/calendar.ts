/**
 * Calendar range queries over 10,000 releases on PostgreSQL (issue goal: p95 < 50 ms).
 * Seeds a fresh database (releases with 4 phases and 3 gates each over three years, 20 teams,
 * 100 services), starts Shipgate on it, and times `GET /api/v1/calendar` for random month and
 * quarter ranges with and without filters, at the default limit (500 per kind) and at the maximum. Baseline in the same run: the same ranges as one plain
 * SQL query (releases only) straight to PostgreSQL, so the ratio shows what the API adds.
 *   npx tsx bench/calendar.ts        (BENCH_CALENDAR_RELEASES, BENCH_CALENDAR_REQUESTS, BENCH_PG_URL)
 * BENCH_CALENDAR_KEEP=postgres://…/db seeds that (existing, empty) database and exits, to study plans by hand.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { connectDatabase } from '../src/server/db/connect.js';
import { migrateToLatest } from '../src/server/db/migrate.js';
import { newId } from '../src/server/lib/ids.js';
import { assertLoopbackUrl, cleanupAll, createDatabase, dbUrl, dropDatabase, ms, onCleanup, ratio, stopProcess, tempDir, removeTempDir } from './lib.js';
import { mintAdminToken, shipgatePgEnv, startShipgate } from './shipgate-pg.js';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RELEASES = Number(process.env.BENCH_CALENDAR_RELEASES ?? 10_000);
const REQUESTS = Number(process.env.BENCH_CALENDAR_REQUESTS ?? 300);
const GOAL_P95_MS = 50;
const DAY = 86_400_000;
const EPOCH = Date.UTC(2025, 0, 1);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function seed(url: string): Promise<{ teams: string[]; services: string[]; envs: string[] }> {
  const database = await connectDatabase({ kind: 'pg', url, poolSize: 4 });
  await migrateToLatest(database);
  const db = database.db;
  const now = new Date();
  const teams = Array.from({ length: 20 }, (_, i) => ({ id: newId(), key: `team-${i}`, name: `Team ${i}`, description: '', updated_at: now }));
  await db.insertInto('teams').values(teams).execute();
  const services = Array.from({ length: 100 }, (_, i) => ({ id: newId(), key: `svc-${i}`, name: `Service ${i}`, description: '', tier: (i % 4) + 1, owner_team_id: teams[i % 20]!.id, governance_profile: null, updated_at: now }));
  await db.insertInto('services').values(services).execute();
  const envs = ['dev', 'sit', 'uat', 'prod'].map((key, i) => ({ id: newId(), key, name: key, description: '', tier: (['development', 'testing', 'testing', 'production'] as const)[i]!, sort_order: i * 10, change_controlled: key === 'prod', updated_at: now }));
  await db.insertInto('environments').values(envs).execute();

  for (let batch = 0; batch < RELEASES; batch += 500) {
    const releases = [];
    const links = [];
    const phases = [];
    const phaseEnvs = [];
    const gates = [];
    for (let i = batch; i < Math.min(RELEASES, batch + 500); i++) {
      const id = newId();
      const start = EPOCH + crypto.randomInt(0, 3 * 365) * DAY;
      const length = (14 + crypto.randomInt(0, 60)) * DAY;
      releases.push({ id, key: `rel-${i}`, name: `Release ${i}`, type: 'project' as const, release_version: `1.${i}`, description: '', owner_team_id: teams[i % 20]!.id, planned_start: new Date(start), planned_end: new Date(start + length), updated_at: now });
      links.push({ release_id: id, service_id: services[i % 100]!.id, service_version: null });
      let cursor = start;
      let previous: string | null = null;
      for (let p = 0; p < 4; p++) {
        const pid = newId();
        const end = cursor + length / 4;
        phases.push({ id: pid, release_id: id, key: `p${p}`, name: ['Build', 'SIT', 'UAT', 'Production'][p]!, position: p, planned_start: new Date(cursor), planned_end: new Date(end) });
        phaseEnvs.push({ phase_id: pid, environment_id: envs[p]!.id });
        if (p > 0) gates.push({ id: newId(), release_id: id, key: `g${p}`, name: `Gate ${p}`, after_phase_id: previous, planned_at: new Date(cursor) });
        previous = pid;
        cursor = end;
      }
    }
    await db.insertInto('releases').values(releases).execute();
    await db.insertInto('release_services').values(links).execute();
    await db.insertInto('release_phases').values(phases).execute();
    await db.insertInto('release_phase_environments').values(phaseEnvs).execute();
    await db.insertInto('release_gates').values(gates).execute();
  }
  await sql`analyze`.execute(db);
  await database.close();
  return { teams: teams.map((t) => t.key), services: services.map((s) => s.key), envs: envs.map((e) => e.key) };
}

function randomRange(): { from: string; to: string } {
  const start = EPOCH + crypto.randomInt(0, 3 * 365 - 90) * DAY;
  const days = crypto.randomInt(0, 2) === 0 ? 31 : 92;
  return { from: new Date(start).toISOString(), to: new Date(start + days * DAY).toISOString() };
}

async function main() {
  assertLoopbackUrl(PG);
  const name = `shipgate_bench_cal_${crypto.randomBytes(4).toString('hex')}`;
  await createDatabase(PG, name);
  onCleanup(() => dropDatabase(PG, name));
  const url = dbUrl(PG, name);
  const t0 = performance.now();
  const { teams, services, envs } = await seed(url);
  console.log(`calendar seeded ${RELEASES} releases, ${RELEASES * 4} phases, ${RELEASES * 3} gates in ${ms(performance.now() - t0)} ms`);

  const scratch = tempDir('shipgate-bench-cal-');
  onCleanup(async () => removeTempDir(scratch));
  const env = shipgatePgEnv(url, scratch, 10);
  const token = await mintAdminToken(env);
  const { child, url: base } = await startShipgate(env);
  onCleanup(() => stopProcess(child.proc, 10_000));

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onCleanup(() => client.end());

  const variants: [string, () => string][] = [
    ['no filter', () => ''],
    ['no filter, limit=2000 per kind', () => '&limit=2000'],
    ['team filter', () => `&team=${teams[crypto.randomInt(0, teams.length)]}`],
    ['service filter', () => `&service=${services[crypto.randomInt(0, services.length)]}`],
    ['environment filter', () => `&environment=${envs[crypto.randomInt(0, envs.length)]}`],
  ];
  for (const [label, extra] of variants) {
    const api: number[] = [];
    const raw: number[] = [];
    let items = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const { from, to } = randomRange();
      const a = performance.now();
      const res = await fetch(`${base}/api/v1/calendar?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${extra()}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { items: unknown[] };
      api.push(performance.now() - a);
      if (res.status !== 200) throw new Error(`calendar answered ${res.status}: ${JSON.stringify(body)}`);
      items += body.items.length;
      const b = performance.now();
      await client.query('select id, key, name, planned_start, planned_end from releases where planned_start < $2 and coalesce(planned_end, planned_start) >= $1 order by planned_start, id', [from, to]);
      raw.push(performance.now() - b);
    }
    console.log(
      `calendar ${label}: API p50 ${ms(pct(api, 50))} ms, p95 ${ms(pct(api, 95))} ms, p99 ${ms(pct(api, 99))} ms (${REQUESTS} requests, ${Math.round(items / REQUESTS)} items avg); ` +
        `baseline SQL (releases only) p50 ${ms(pct(raw, 50))} ms, p95 ${ms(pct(raw, 95))} ms; ratio p95 ${ratio(pct(api, 95) / pct(raw, 95))}×; goal p95 < ${GOAL_P95_MS} ms: ${pct(api, 95) < GOAL_P95_MS ? 'MET' : 'NOT MET'}`,
    );
  }
}

if (process.env.BENCH_CALENDAR_KEEP) { await seed(process.env.BENCH_CALENDAR_KEEP); process.exit(0); }
main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanupAll);
