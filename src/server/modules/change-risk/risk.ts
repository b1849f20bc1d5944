/**
 * The risk calculator: a pure function from gathered facts to a score, a level and every factor's
 * contribution with a sentence saying why. Every factor is always present (0 points included), so
 * the explanation is complete and two assessments can be compared factor by factor.
 */
import type { ChangeType, RiskLevel } from '../../db/schema.js';
import { toLocal } from '../windows/engine/index.js';
import type { ChangeConflict, RiskAssessment, RiskFactor } from '../changes/change-contracts.js';

export type EnvironmentTier = 'development' | 'testing' | 'staging' | 'production';
export type ConflictKind = ChangeConflict['kind'];

/** Points for the most critical service in scope, by tier (1 = most critical). */
export const SERVICE_TIER_POINTS: Readonly<Record<number, number>> = { 1: 25, 2: 15, 3: 8, 4: 0 };
/** Points for the most critical environment in scope. */
export const ENVIRONMENT_TIER_POINTS: Readonly<Record<EnvironmentTier, number>> = { production: 20, staging: 8, testing: 3, development: 0 };
/** Change size = services + environments + work items; up to this many items add nothing … */
export const SIZE_FREE_ITEMS = 3;
/** … each further item adds this much, up to the cap. */
export const SIZE_POINTS_PER_ITEM = 2;
export const SIZE_MAX_POINTS = 15;
export const EMERGENCY_POINTS = 20;
/** Points per conflict of each kind; the conflicts factor is capped. */
export const CONFLICT_POINTS: Readonly<Record<ConflictKind, number>> = {
  blackout: 20,
  freeze: 10,
  outside_maintenance: 10,
  change_overlap: 8,
  dependency_overlap: 5,
  assignee_double_booked: 5,
};
export const CONFLICT_MAX_POINTS = 40;
/** Weekday business hours [start, end) in the configured zone: people are at hand to notice and respond. */
export const BUSINESS_HOURS = { start: 9, end: 17 } as const;
export const TIME_POINTS = { businessHours: 0, weekdayNight: 5, weekend: 8, fridayAfternoon: 10 } as const;
/** Friday from this hour: the weekend starts before problems show. */
export const FRIDAY_AFTERNOON_FROM = 12;
/** The failure rate (unsuccessful ÷ closed over 90 days) times this, rounded. */
export const FAILURE_RATE_MAX_POINTS = 25;
export const FAILURE_RATE_DAYS = 90;
/** Points per service depending (transitively) on the changed services, capped. */
export const BLAST_POINTS_PER_SERVICE = 2;
export const BLAST_MAX_POINTS = 20;
/** Level = the highest threshold the score reaches. */
export const LEVEL_THRESHOLDS: readonly { level: RiskLevel; min: number }[] = [
  { level: 'very_high', min: 75 },
  { level: 'high', min: 50 },
  { level: 'moderate', min: 25 },
  { level: 'low', min: 0 },
];

export const FACTORS = ['service_tier', 'environment_tier', 'change_size', 'emergency', 'conflicts', 'time_of_week', 'failure_rate', 'blast_radius'] as const;

export interface RiskFacts {
  type: ChangeType;
  services: { key: string; tier: number }[];
  environments: { key: string; tier: EnvironmentTier }[];
  workItemCount: number;
  conflicts: Pick<ChangeConflict, 'kind'>[];
  plannedStart: Date | null;
  /** IANA zone business hours are in */
  timeZone: string;
  /** closed changes of these services over the last 90 days, and how many of them were unsuccessful */
  closed: number;
  unsuccessful: number;
  /** keys of the services that depend on the changed ones, directly or transitively */
  dependents: string[];
}

const ENV_ORDER: EnvironmentTier[] = ['production', 'staging', 'testing', 'development'];

export function levelOf(score: number): RiskLevel {
  return LEVEL_THRESHOLDS.find((t) => score >= t.min)!.level;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const listed = (keys: string[], max = 5) => (keys.length > max ? `${keys.slice(0, max).join(', ')} and ${keys.length - max} more` : keys.join(', '));

function serviceTier(f: RiskFacts): RiskFactor {
  if (!f.services.length) return { factor: 'service_tier', points: 0, detail: 'no services in scope' };
  const top = Math.min(...f.services.map((s) => s.tier));
  const keys = f.services.filter((s) => s.tier === top).map((s) => s.key);
  return { factor: 'service_tier', points: SERVICE_TIER_POINTS[top] ?? 0, detail: `tier ${top} ${keys.length === 1 ? 'service' : 'services'} ${listed(keys)}` };
}

function environmentTier(f: RiskFacts): RiskFactor {
  if (!f.environments.length) return { factor: 'environment_tier', points: 0, detail: 'no environments in scope' };
  const top = ENV_ORDER.find((t) => f.environments.some((e) => e.tier === t))!;
  const keys = f.environments.filter((e) => e.tier === top).map((e) => e.key);
  return { factor: 'environment_tier', points: ENVIRONMENT_TIER_POINTS[top], detail: `${top} ${keys.length === 1 ? 'environment' : 'environments'} ${listed(keys)}` };
}

function changeSize(f: RiskFacts): RiskFactor {
  const items = f.services.length + f.environments.length + f.workItemCount;
  const points = Math.min(SIZE_MAX_POINTS, Math.max(0, items - SIZE_FREE_ITEMS) * SIZE_POINTS_PER_ITEM);
  return {
    factor: 'change_size', points,
    detail: `${plural(f.services.length, 'service')}, ${plural(f.environments.length, 'environment')} and ${plural(f.workItemCount, 'work item')} (${items} in all)`,
  };
}

function emergency(f: RiskFacts): RiskFactor {
  return f.type === 'emergency'
    ? { factor: 'emergency', points: EMERGENCY_POINTS, detail: 'emergency change: shortened assessment and approval' }
    : { factor: 'emergency', points: 0, detail: `${f.type} change` };
}

function conflicts(f: RiskFacts): RiskFactor {
  if (!f.conflicts.length) return { factor: 'conflicts', points: 0, detail: 'no conflicts' };
  const counts = new Map<ConflictKind, number>();
  for (const c of f.conflicts) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  let sum = 0;
  for (const [kind, n] of counts) sum += n * CONFLICT_POINTS[kind];
  const points = Math.min(CONFLICT_MAX_POINTS, sum);
  const parts = [...counts].sort((a, b) => CONFLICT_POINTS[b[0]] - CONFLICT_POINTS[a[0]] || a[0].localeCompare(b[0])).map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`);
  return { factor: 'conflicts', points, detail: `${parts.join(', ')}${sum > points ? ` (capped at ${CONFLICT_MAX_POINTS})` : ''}` };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function timeOfWeek(f: RiskFacts): RiskFactor {
  if (!f.plannedStart) return { factor: 'time_of_week', points: 0, detail: 'no planned start' };
  const local = toLocal(f.plannedStart.getTime(), f.timeZone); // YYYY-MM-DDTHH:mm:ss
  const [y, m, d] = local.slice(0, 10).split('-').map(Number) as [number, number, number];
  const hour = Number(local.slice(11, 13));
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  const at = `${WEEKDAYS[weekday]} ${local.slice(11, 16)} ${f.timeZone}`;
  if (weekday === 0 || weekday === 6) return { factor: 'time_of_week', points: TIME_POINTS.weekend, detail: `starts on the weekend (${at}): fewer people at hand` };
  if (weekday === 5 && hour >= FRIDAY_AFTERNOON_FROM) return { factor: 'time_of_week', points: TIME_POINTS.fridayAfternoon, detail: `starts on Friday afternoon or evening (${at}): problems surface over the weekend` };
  if (hour < BUSINESS_HOURS.start || hour >= BUSINESS_HOURS.end) return { factor: 'time_of_week', points: TIME_POINTS.weekdayNight, detail: `starts outside business hours (${at})` };
  return { factor: 'time_of_week', points: TIME_POINTS.businessHours, detail: `starts in weekday business hours (${at})` };
}

function failureRate(f: RiskFacts): RiskFactor {
  if (!f.closed) return { factor: 'failure_rate', points: 0, detail: `no closed changes in ${FAILURE_RATE_DAYS} days` };
  const rate = f.unsuccessful / f.closed;
  return {
    factor: 'failure_rate', points: Math.round(rate * FAILURE_RATE_MAX_POINTS),
    detail: `${f.unsuccessful} of ${plural(f.closed, 'closed change')} of these services unsuccessful in ${FAILURE_RATE_DAYS} days (${Math.round(rate * 100)}%)`,
  };
}

function blastRadius(f: RiskFacts): RiskFactor {
  const n = f.dependents.length;
  if (!n) return { factor: 'blast_radius', points: 0, detail: 'no other service depends on the changed services' };
  return {
    factor: 'blast_radius', points: Math.min(BLAST_MAX_POINTS, n * BLAST_POINTS_PER_SERVICE),
    detail: `${plural(n, 'service')} ${n === 1 ? 'depends' : 'depend'} on the changed services, directly or transitively: ${listed([...f.dependents].sort())}`,
  };
}

/** The score is the sum of the factors; the order of `factors` is FACTORS. */
export function assessRisk(facts: RiskFacts): Omit<RiskAssessment, 'facts'> {
  const factors = [serviceTier, environmentTier, changeSize, emergency, conflicts, timeOfWeek, failureRate, blastRadius].map((fn) => fn(facts));
  const score = factors.reduce((s, f) => s + f.points, 0);
  return { score, level: levelOf(score), factors };
}
