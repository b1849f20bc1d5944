/**
 * Change conflict detection over 100,000 existing changes on PostgreSQL (issue goal: p95 < 20 ms).
 * Seeds a fresh database: 100 services with dependencies, 4 environments, 50 assignees, a few time
 * windows (tier-1 year-end blackout, weekend production freeze, weekly maintenance for 10 services)
 * and changes of 1–8 hours over three years on 1–2 services and 1–2 environments each. Then times
 * `conflicts()` (all four kinds: same service, dependencies, windows, assignee) inside a transaction
 * for random proposed changes. Baseline in the same run: one plain indexed overlap query on
 * change_requests alone, straight to PostgreSQL.
 *   npx tsx bench/change-conflicts.ts   (BENCH_CHANGES, BENCH_CONFLICT_PROBES, BENCH_PG_URL)
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { connectDatabase } from '../src/server/db/connect.js';
import { migrateToLatest } from '../src/server/db/migrate.js';
import type { ChangeStateValue } from '../src/server/db/schema.js';
import type { Executor } from '../src/server/db/tx.js';
import { systemClock } from '../src/server/lib/clock.js';
import { newId } from '../src/server/lib/ids.js';
import { createChangeRiskRepo, type ChangeRiskRepo } from '../src/server/modules/change-risk/change-risk.repo.js';
import { createChangeAssessor } from '../src/server/modules/change-risk/change-risk.service.js';
import type { ChangeSnapshot } from '../src/server/modules/changes/change-contracts.js';
import { createWindowsRepo } from '../src/server/modules/windows/windows.repo.js';
import { bumpWindowRevision } from '../src/server/modules/windows/windows.revision.js';
import { assertLoopbackUrl, cleanupAll, createDatabase, dbUrl, ms, onCleanup, ratio } from './lib.js';

const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100_000);
const PROBES = Number(process.env.BENCH_CONFLICT_PROBES ?? 500);
const WARMUP = 20;
const GOAL_P95_MS = 20;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EPOCH = Date.UTC(2025, 0, 1);
const SPAN_DAYS = 3 * 365;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const pick = <T>(xs: T[]) => xs[crypto.randomInt(0, xs.length)]!;
const some = <T>(xs: T[], max: number) => [...new Set(Array.from({ length: crypto.randomInt(1, max + 1) }, () => pick(xs)))];
/** a start on the hour somewhere in the three years, and a length of 1–8 hours */
const randomWindow = () => {
  const start = EPOCH + crypto.randomInt(0, SPAN_DAYS * 24) * HOUR;
  return { start: new Date(start), end: new Date(start + crypto.randomInt(1, 9) * HOUR) };
};
// mostly past changes closed, some canceled, the rest somewhere in the process
const STATES: ChangeStateValue[] = [3, 3, 3, 3, 3, 3, 4, -5, -4, -3, -2, -2, -1, 0];

async function main() {
  assertLoopbackUrl(PG);
  const name = `shipgate_bench_chg_${crypto.randomBytes(4).toString('hex')}`;
  await createDatabase(PG, name);

  const url = dbUrl(PG, name);
  const database = await connectDatabase({ kind: 'pg', url, poolSize: 4 });
  onCleanup(() => database.close());
  await migrateToLatest(database);
  const db = database.db;

  const t0 = performance.now();
  const now = new Date();
  const services = Array.from({ length: 100 }, (_, i) => ({ id: newId(), key: `svc-${i}`, name: `Service ${i}`, description: '', tier: (i % 4) + 1, owner_team_id: null, governance_profile: null, updated_at: now }));
  await db.insertInto('services').values(services).execute();
  // each service from the 10th on depends on one or two earlier ones: a layered graph like real systems
  const deps = new Set<string>();
  for (let i = 10; i < services.length; i++) for (const j of some([...Array(i).keys()], 2)) deps.add(`${services[i]!.id}|${services[j]!.id}`);
  await db.insertInto('service_dependencies').values([...deps].map((d) => ({ service_id: d.split('|')[0]!, depends_on_id: d.split('|')[1]! }))).execute();
  const envs = ['dev', 'test', 'stage', 'prod'].map((key, i) => ({ id: newId(), key, name: key, description: '', tier: (['development', 'testing', 'staging', 'production'] as const)[i]!, sort_order: i * 10, change_controlled: key === 'prod', updated_at: now }));
  await db.insertInto('environments').values(envs).execute();
  const users = Array.from({ length: 50 }, (_, i) => ({ id: newId(), email: `eng${i}@bench.shipgate.dev`, name: `Engineer ${i}`, password_hash: null, disabled_at: null, updated_at: now }));
  await db.insertInto('users').values(users).execute();

  const windowRow = (kind: 'blackout' | 'freeze' | 'maintenance', wname: string, start: string, end: string, rrule: string, tiers: number[] = []) => ({
    id: newId(), name: wname, kind, time_zone: 'UTC', starts_local: start, ends_local: end, rrule, first_start: new Date(`${start}Z`), last_end: null,
    scope_service_tiers: tiers, created_by: null, updated_at: now,
  });
  const blackout = windowRow('blackout', 'Year-end blackout', '2024-12-20T00:00:00', '2025-01-02T00:00:00', 'FREQ=YEARLY', [1]);
  const freeze = windowRow('freeze', 'Weekend production freeze', '2025-01-03T18:00:00', '2025-01-06T06:00:00', 'FREQ=WEEKLY;BYDAY=FR');
  const maintenance = windowRow('maintenance', 'Sunday maintenance', '2025-01-05T02:00:00', '2025-01-05T06:00:00', 'FREQ=WEEKLY;BYDAY=SU');
  await db.insertInto('time_windows').values([blackout, freeze, maintenance]).execute();
  await db.insertInto('time_window_environments').values({ window_id: freeze.id, environment_id: envs[3]!.id }).execute();
  await db.insertInto('time_window_services').values(services.slice(0, 10).map((s) => ({ window_id: maintenance.id, service_id: s.id }))).execute();
  await bumpWindowRevision(db);

  for (let batch = 0; batch < CHANGES; batch += 1000) {
    const rows = [];
    const links = [];
    const envLinks = [];
    for (let i = batch; i < Math.min(CHANGES, batch + 1000); i++) {
      const id = newId();
      const w = randomWindow();
      const state = pick(STATES);
      // closed changes ended as planned, one in ten unsuccessfully; their links carry the outcome as on a real close
      const closed = state === 3 ? { closed_at: w.end, unsuccessful: Math.random() < 0.1 } : null;
      rows.push({
        id, number: `CHG${String(i + 1).padStart(7, '0')}`, type: 'normal' as const, state, title: `Change ${i}`, impact: null, security_impact: null,
        planned_start: w.start, planned_end: w.end, actual_start: closed ? w.start : null, actual_end: closed ? w.end : null,
        close_code: closed ? (closed.unsuccessful ? 'unsuccessful' as const : 'successful' as const) : null, emergency_reason: null, risk_level: null, risk_score: null,
        risk_override: null, conflicts_checked_at: null, requested_by: null, assignment_team_id: null, assignee_id: pick(users).id, release_id: null,
        template_id: null, template_version: null, updated_at: now,
      });
      for (const s of some(services, 2)) links.push({ change_id: id, service_id: s.id, ...(closed ?? {}) });
      for (const e of some(envs, 2)) envLinks.push({ change_id: id, environment_id: e.id });
    }
    await db.insertInto('change_requests').values(rows).execute();
    await db.insertInto('change_services').values(links).execute();
    await db.insertInto('change_environments').values(envLinks).execute();
  }
  await sql`analyze`.execute(db);
  console.log(`change-conflicts seeded ${CHANGES} changes over 3 years, 100 services (${deps.size} dependencies), 4 environments, 50 assignees, 3 windows in ${ms(performance.now() - t0)} ms`);

  // each repository query timed on its own, to show where the time goes
  const spent = new Map<string, number[]>();
  const plain = createChangeRiskRepo();
  const timed = Object.fromEntries(Object.entries(plain).map(([k, fn]) => [k, async (...args: unknown[]) => {
    const a = performance.now();
    try { return await (fn as (...xs: unknown[]) => Promise<unknown>)(...args); } finally { (spent.get(k) ?? spent.set(k, []).get(k)!).push(performance.now() - a); }
  }])) as unknown as ChangeRiskRepo;
  const assessor = createChangeAssessor({ windowsRepo: createWindowsRepo(), clock: systemClock, repo: timed });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onCleanup(() => client.end());

  const probe = (): ChangeSnapshot => {
    const w = randomWindow();
    return {
      id: newId(), number: 'CHG9999999', type: 'normal', state: -5, title: 'Proposed', requestedBy: null, assigneeId: pick(users).id, assignmentTeamId: null,
      releaseId: null, approvalRound: 1, plannedStart: w.start, plannedEnd: w.end, serviceIds: some(services, 2).map((s) => s.id), environmentIds: some(envs, 2).map((e) => e.id),
      workItemCount: 0, riskLevel: null, policy: null,
    };
  };
  const ours: number[] = [];
  const raw: number[] = [];
  const kinds = new Map<string, number>();
  for (let i = 0; i < WARMUP + PROBES; i++) {
    const c = probe();
    const a = performance.now();
    const found = await db.transaction().execute((tx) => assessor.conflicts(tx, c));
    const took = performance.now() - a;
    const b = performance.now();
    await client.query(
      `select id from change_requests where planned_start is not null and planned_end is not null and tstzrange(planned_start, planned_end, '[)') && tstzrange($1, $2, '[)') and state not in (3, 4)`,
      [c.plannedStart, c.plannedEnd],
    );
    const tookRaw = performance.now() - b;
    if (i < WARMUP) {
      spent.clear();
      continue;
    }
    ours.push(took);
    raw.push(tookRaw);
    for (const f of found) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  }
  const found = [...kinds].sort().map(([k, n]) => `${k} ${(n / PROBES).toFixed(2)}`).join(', ');
  console.log(`change-conflicts conflicts(): p50 ${ms(pct(ours, 50))} ms, p95 ${ms(pct(ours, 95))} ms, p99 ${ms(pct(ours, 99))} ms (${PROBES} proposed changes; conflicts per change: ${found || 'none'})`);
  console.log(`change-conflicts baseline one indexed overlap query: p50 ${ms(pct(raw, 50))} ms, p95 ${ms(pct(raw, 95))} ms, p99 ${ms(pct(raw, 99))} ms`);
  console.log(`change-conflicts breakdown p95 per query: ${[...spent].map(([k, xs]) => `${k} ${ms(pct(xs, 95))} ms`).join(', ')}`);
  // the whole assessment a change create runs: conflicts, then risk with the 90-day failure history and dependents
  const assessed: number[] = [];
  for (let i = 0; i < WARMUP + PROBES; i++) {
    const c = probe();
    const a = performance.now();
    await db.transaction().execute((tx) => assessor.assess(tx, c));
    if (i >= WARMUP) assessed.push(performance.now() - a);
  }
  console.log(`change-conflicts assess() (conflicts + risk): p50 ${ms(pct(assessed, 50))} ms, p95 ${ms(pct(assessed, 95))} ms, p99 ${ms(pct(assessed, 99))} ms`);
  if (process.env.BENCH_EXPLAIN) await explainFacts(db, url, probe());
  console.log(`change-conflicts ratio p50 ${ratio(pct(ours, 50) / pct(raw, 50))}×, p95 ${ratio(pct(ours, 95) / pct(raw, 95))}×; goal p95 < ${GOAL_P95_MS} ms: ${pct(ours, 95) < GOAL_P95_MS ? 'MET' : 'NOT MET'}`);
}

/** BENCH_EXPLAIN=1: the plan of the facts query for one proposed change, to see where its time goes. */
async function explainFacts(db: Executor, url: string, c: ChangeSnapshot) {
  let captured: { text: string; values: unknown[] } | null = null;
  const original = pg.Client.prototype.query;
  // capture the statement the repository sends (the same text and values), then explain it
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [text, values] = args as [string | { text: string; values?: unknown[] }, unknown[] | undefined];
    if (captured === null) captured = typeof text === 'string' ? { text, values: values ?? [] } : { text: text.text, values: text.values ?? [] };
    return (original as (...xs: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await createChangeRiskRepo().facts(db, c, new Date(Date.now() - 90 * 86_400_000)); // as risk reads them
  } finally {
    pg.Client.prototype.query = original;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(`explain (analyze, buffers) ${captured!.text}`, captured!.values);
  console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
  await client.end();
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanupAll);
