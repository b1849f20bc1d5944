/**
 * Time-window evaluation in-process with 10,000 windows defined (issue goal: p99 < 2 ms per
 * evaluation). Windows: weekly, daily and monthly recurring and one-offs over three years, scoped
 * to 100 services, 4 environments, service tiers, tags and ~2% to everything. Baseline in the same
 * run: a naive evaluation that scans every window and expands its recurrence on each call (no index,
 * no cache), on fewer samples; the ratio shows what the index and the occurrence cache buy.
 *   npx tsx bench/windows.ts        (BENCH_WINDOWS, BENCH_WINDOWS_EVALS, BENCH_WINDOWS_NAIVE)
 */
import { pathToFileURL } from 'node:url';
import { createWindowIndex, type EvaluationRequest, type EvaluationSubject, type WindowDefinition, type WindowKind, type WindowScope } from '../src/server/modules/windows/engine/index.js';
import { compileSeries } from '../src/server/modules/windows/engine/series.js';
import { scopeMatch } from '../src/server/modules/windows/engine/scope.js';
import { ms, ratio } from './lib.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const EPOCH = Date.UTC(2025, 0, 1);
const YEARS = 3;
const GOAL_P99_MS = 2;
const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'UTC', 'Europe/London'];
const TAGS = ['pci', 'gdpr', 'sox', 'customer-facing', 'internal', 'batch', 'edge', 'payments', 'search', 'ml'];
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

/** Small seeded PRNG (mulberry32): the same windows on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WindowFixture {
  windows: WindowDefinition[];
  services: { id: string; tier: number; tags: string[] }[];
  environments: string[];
  teams: string[];
}

const local = (wall: number) => new Date(wall).toISOString().slice(0, 19);

/** `count` windows over three years from 2025 (ids, services, environments are plain strings). */
export function generateWindows(count: number, seed = 42): WindowFixture {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const services = Array.from({ length: 100 }, (_, i) => ({ id: `svc-${i}`, tier: (i % 4) + 1, tags: [TAGS[i % 10]!, TAGS[(i * 3 + 1) % 10]!] }));
  const environments = ['dev', 'sit', 'uat', 'prod'];
  const teams = Array.from({ length: 20 }, (_, i) => `team-${i}`);
  const scopeOf = (): WindowScope => {
    const x = r();
    const s: WindowScope = { all: false, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] };
    if (x < 0.02) s.all = true;
    else if (x < 0.82) s.serviceIds = Array.from({ length: int(1, 2) }, () => pick(services).id);
    else if (x < 0.88) s.environmentIds = [pick(environments)];
    else if (x < 0.93) (s.serviceTiers = [int(1, 4)]), (s.environmentIds = ['prod']);
    else s.tags = [pick(TAGS)];
    if (!s.all && !s.environmentIds.length && r() < 0.5) s.environmentIds = [pick(environments)];
    return s;
  };
  const windows: WindowDefinition[] = [];
  for (let i = 0; i < count; i++) {
    const k = r();
    const kind: WindowKind = k < 0.32 ? 'blackout' : k < 0.64 ? 'freeze' : k < 0.99 ? 'booking' : 'maintenance';
    const zone = pick(ZONES);
    const day = EPOCH + int(0, YEARS * 365 - 1) * DAY;
    const x = kind === 'booking' ? 1 : kind === 'maintenance' ? 0 : r();
    let rrule: string | null = null;
    let startWall = day + int(0, 23) * HOUR;
    let span = (kind === 'booking' ? int(2, 14) : int(1, 72)) * HOUR;
    if (x < 0.2) {
      const wd = new Date(startWall).getUTCDay();
      rrule = `FREQ=WEEKLY;BYDAY=${WEEKDAYS[(wd + 6) % 7]}${kind !== 'maintenance' && r() < 0.6 ? `;COUNT=${int(4, 52)}` : ''}`;
      span = int(2, 12) * HOUR;
    } else if (x < 0.28) {
      rrule = `FREQ=DAILY;UNTIL=${local(startWall + int(30, 200) * DAY).replace(/[-:]/g, '')}Z`;
      span = int(1, 3) * HOUR;
    } else if (x < 0.35) {
      startWall = Date.UTC(new Date(day).getUTCFullYear(), new Date(day).getUTCMonth(), int(1, 28), int(0, 23));
      rrule = `FREQ=MONTHLY;BYMONTHDAY=${new Date(startWall).getUTCDate()}`;
      span = int(2, 12) * HOUR;
    }
    const scope = kind === 'booking' ? { all: false, serviceIds: [], environmentIds: [pick(environments)], serviceTiers: [], tags: [] } : scopeOf();
    // a few services (svc-0 … svc-9) change only inside their weekly maintenance windows
    if (kind === 'maintenance') Object.assign(scope, { all: false, serviceIds: [`svc-${int(0, 9)}`], tags: [], serviceTiers: [] });
    windows.push({
      id: `win-${i}`, name: `${kind} ${i}`, kind, timeZone: zone, start: local(startWall), end: local(startWall + span), rrule, exdates: [], scope,
      holder: kind === 'booking' ? { teamId: pick(teams), releaseId: null } : null,
      ...(kind === 'booking' ? { status: r() < 0.8 ? ('approved' as const) : ('requested' as const) } : {}),
    });
  }
  return { windows, services, environments, teams };
}

/** A random request over the three years. */
export function randomRequest(f: WindowFixture, r: () => number): EvaluationRequest {
  const svc = f.services[Math.floor(r() * f.services.length)]!;
  const subject: EvaluationSubject = { serviceId: svc.id, serviceTier: svc.tier, serviceTags: svc.tags, environmentId: f.environments[Math.floor(r() * 4)]!, teamId: f.teams[Math.floor(r() * 20)]!, releaseId: null };
  const start = EPOCH + Math.floor(r() * YEARS * 365 * DAY);
  return { subject, activity: r() < 0.5 ? 'change' : 'deployment', start, end: start + (1 + Math.floor(r() * 8)) * 30 * 60_000, overrides: new Map() };
}

/** The naive way: every window, expanded afresh on every call. Decides `allowed` only. */
function naiveAllowed(defs: WindowDefinition[], req: EvaluationRequest): boolean {
  let inScopeMaintenance = false;
  let insideMaintenance = false;
  for (const def of defs) {
    if (!scopeMatch(def.scope, req.subject)) continue;
    const series = compileSeries(def);
    if (def.kind === 'maintenance') {
      const last = series.lastEnd();
      if (series.firstStart >= req.end || (last !== null && last <= req.start)) continue; // not in force then
      inScopeMaintenance = true;
      insideMaintenance ||= series.containing(req.start, req.end) !== null;
      continue;
    }
    if (!series.firstOverlapping(req.start, req.end)) continue;
    if (def.kind === 'blackout' || (def.kind === 'freeze' && req.activity === 'deployment')) return false;
    if (def.kind === 'booking' && (def.status ?? 'approved') === 'approved' && def.holder?.teamId !== req.subject.teamId) return false;
  }
  return !inScopeMaintenance || insideMaintenance;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const COUNT = Number(process.env.BENCH_WINDOWS ?? 10_000);
  const EVALS = Number(process.env.BENCH_WINDOWS_EVALS ?? 20_000);
  const NAIVE = Number(process.env.BENCH_WINDOWS_NAIVE ?? 10);
  const fixture = generateWindows(COUNT);
  let t = performance.now();
  const index = createWindowIndex(fixture.windows);
  console.log(`windows: ${COUNT} (${fixture.windows.filter((w) => w.rrule).length} recurring), index built in ${ms(performance.now() - t)} ms`);
  t = performance.now();
  index.warm(EPOCH - 366 * DAY, EPOCH + (YEARS * 365 + 400) * DAY);
  console.log(`occurrences expanded (4+ years, all windows) in ${ms(performance.now() - t)} ms, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`);

  const r = rng(7);
  for (let i = 0; i < 2_000; i++) index.evaluate(randomRequest(fixture, r));
  const times: number[] = [];
  let blocked = 0;
  let withNext = 0;
  for (let i = 0; i < EVALS; i++) {
    const req = randomRequest(fixture, r);
    const s = performance.now();
    const res = index.evaluate(req);
    times.push(performance.now() - s);
    if (!res.allowed) blocked++;
    if (res.nextAllowed) withNext++;
  }
  const p99 = pct(times, 99);
  console.log(`indexed evaluation: ${EVALS} requests, p50 ${ms(pct(times, 50))} ms, p95 ${ms(pct(times, 95))} ms, p99 ${ms(p99)} ms, max ${ms(Math.max(...times))} ms (${blocked} blocked, ${withNext} with a next allowed slot)`);

  const naive: number[] = [];
  let disagree = 0;
  const deadline = performance.now() + 60_000;
  for (let i = 0; i < NAIVE && performance.now() < deadline; i++) {
    const req = randomRequest(fixture, r);
    const s = performance.now();
    const allowed = naiveAllowed(fixture.windows, req);
    naive.push(performance.now() - s);
    if (allowed !== index.evaluate(req).allowed) disagree++;
  }
  const naiveP50 = pct(naive, 50);
  console.log(`baseline naive evaluation (scan all, expand per call): ${naive.length} requests, p50 ${ms(naiveP50)} ms, p99 ${ms(pct(naive, 99))} ms; same verdict as the index: ${naive.length - disagree}/${naive.length}`);
  console.log(`ratio naive/indexed p50: ${ratio(naiveP50 / pct(times, 50))}x`);
  console.log(`goal p99 < ${GOAL_P99_MS} ms per evaluation: ${p99 < GOAL_P99_MS ? 'MET' : 'NOT MET'} (${ms(p99)} ms)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
