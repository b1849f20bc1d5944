import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessRisk, FACTORS, levelOf, type ConflictKind, type EnvironmentTier, type RiskFacts } from '../../src/server/modules/change-risk/risk.js';

const base: RiskFacts = {
  type: 'normal',
  services: [{ key: 'payments-api', tier: 1 }],
  environments: [{ key: 'prod', tier: 'production' }],
  workItemCount: 0,
  conflicts: [],
  plannedStart: new Date('2026-03-10T10:00:00Z'), // Tuesday
  timeZone: 'UTC',
  closed: 0,
  unsuccessful: 0,
  dependents: [],
};
const points = (facts: Partial<RiskFacts>) => Object.fromEntries(assessRisk({ ...base, ...facts }).factors.map((f) => [f.factor, f.points]));
const factor = (facts: Partial<RiskFacts>, name: string) => assessRisk({ ...base, ...facts }).factors.find((f) => f.factor === name)!;

describe('change risk', () => {
  it('lists every factor, in a fixed order, even with 0 points, and sums them', () => {
    const r = assessRisk({ ...base, services: [{ key: 'docs', tier: 4 }], environments: [{ key: 'dev', tier: 'development' }] });
    expect(r.factors.map((f) => f.factor)).toEqual([...FACTORS]);
    expect(r).toEqual({
      score: 0, level: 'low',
      factors: [
        { factor: 'service_tier', points: 0, detail: 'tier 4 service docs' },
        { factor: 'environment_tier', points: 0, detail: 'development environment dev' },
        { factor: 'change_size', points: 0, detail: '1 service, 1 environment and 0 work items (2 in all)' },
        { factor: 'emergency', points: 0, detail: 'normal change' },
        { factor: 'conflicts', points: 0, detail: 'no conflicts' },
        { factor: 'time_of_week', points: 0, detail: 'starts in weekday business hours (Tuesday 10:00 UTC)' },
        { factor: 'failure_rate', points: 0, detail: 'no closed changes in 90 days' },
        { factor: 'blast_radius', points: 0, detail: 'no other service depends on the changed services' },
      ],
    });
  });

  it('scores the most critical service and environment in scope', () => {
    expect([1, 2, 3, 4].map((tier) => points({ services: [{ key: 'a', tier }] }).service_tier)).toEqual([25, 15, 8, 0]);
    const tiers: EnvironmentTier[] = ['production', 'staging', 'testing', 'development'];
    expect(tiers.map((tier) => points({ environments: [{ key: 'e', tier }] }).environment_tier)).toEqual([20, 8, 3, 0]);
    expect(factor({ services: [{ key: 'web', tier: 3 }, { key: 'pay', tier: 1 }, { key: 'ledger', tier: 1 }] }, 'service_tier')).toEqual({ factor: 'service_tier', points: 25, detail: 'tier 1 services pay, ledger' });
    expect(factor({ environments: [{ key: 'dev', tier: 'development' }, { key: 'uat', tier: 'staging' }] }, 'environment_tier').detail).toBe('staging environment uat');
    expect(factor({ services: [], environments: [] }, 'service_tier')).toEqual({ factor: 'service_tier', points: 0, detail: 'no services in scope' });
  });

  it('scores size beyond three items at 2 points each, up to 15; emergency adds 20', () => {
    expect([0, 1, 2, 5, 20].map((workItemCount) => points({ workItemCount }).change_size)).toEqual([0, 0, 2, 8, 15]);
    expect(factor({ type: 'emergency' }, 'emergency')).toEqual({ factor: 'emergency', points: 20, detail: 'emergency change: shortened assessment and approval' });
  });

  it('scores conflicts per kind, capped at 40', () => {
    const c = (...kinds: ConflictKind[]) => kinds.map((kind) => ({ kind }));
    expect(factor({ conflicts: c('change_overlap', 'assignee_double_booked', 'change_overlap') }, 'conflicts')).toEqual({ factor: 'conflicts', points: 21, detail: '2 change overlap, 1 assignee double booked' });
    expect(points({ conflicts: c('blackout') }).conflicts).toBe(20);
    expect(points({ conflicts: c('freeze') }).conflicts).toBe(10);
    expect(points({ conflicts: c('outside_maintenance') }).conflicts).toBe(10);
    expect(points({ conflicts: c('dependency_overlap') }).conflicts).toBe(5);
    expect(factor({ conflicts: c('blackout', 'blackout', 'freeze') }, 'conflicts')).toEqual({ factor: 'conflicts', points: 40, detail: '2 blackout, 1 freeze (capped at 40)' });
  });

  it('scores the time of week in the configured zone', () => {
    const at = (iso: string, timeZone = 'UTC') => factor({ plannedStart: new Date(iso), timeZone }, 'time_of_week');
    expect(at('2026-03-10T16:59:00Z').points).toBe(0); // Tuesday afternoon
    expect(at('2026-03-10T17:00:00Z')).toEqual({ factor: 'time_of_week', points: 5, detail: 'starts outside business hours (Tuesday 17:00 UTC)' });
    expect(at('2026-03-11T02:00:00Z').points).toBe(5); // Wednesday night
    expect(at('2026-03-13T11:59:00Z').points).toBe(0); // Friday morning
    expect(at('2026-03-13T12:00:00Z').points).toBe(10); // Friday afternoon
    expect(at('2026-03-13T22:00:00Z').points).toBe(10);
    expect(at('2026-03-14T10:00:00Z').points).toBe(8); // Saturday
    expect(at('2026-03-15T23:00:00Z').points).toBe(8); // Sunday
    // Monday 01:00 in Auckland is Sunday 12:00 UTC: the zone decides
    expect(at('2026-03-15T12:00:00Z', 'Pacific/Auckland')).toEqual({ factor: 'time_of_week', points: 5, detail: 'starts outside business hours (Monday 01:00 Pacific/Auckland)' });
    expect(at('2026-03-16T09:30:00Z', 'America/New_York').points).toBe(5); // 05:30 EDT
    expect(factor({ plannedStart: null }, 'time_of_week')).toEqual({ factor: 'time_of_week', points: 0, detail: 'no planned start' });
  });

  it('scores the 90-day failure rate and the blast radius', () => {
    expect(factor({ closed: 8, unsuccessful: 2 }, 'failure_rate')).toEqual({ factor: 'failure_rate', points: 6, detail: '2 of 8 closed changes of these services unsuccessful in 90 days (25%)' });
    expect(points({ closed: 3, unsuccessful: 3 }).failure_rate).toBe(25);
    expect(points({ closed: 5, unsuccessful: 0 }).failure_rate).toBe(0);
    expect(factor({ dependents: ['web', 'checkout'] }, 'blast_radius')).toEqual({ factor: 'blast_radius', points: 4, detail: '2 services depend on the changed services, directly or transitively: checkout, web' });
    expect(points({ dependents: Array.from({ length: 30 }, (_, i) => `s${i}`) }).blast_radius).toBe(20);
  });

  it('maps scores to levels at 25, 50 and 75', () => {
    expect([0, 24, 25, 49, 50, 74, 75, 200].map(levelOf)).toEqual(['low', 'low', 'moderate', 'moderate', 'high', 'high', 'very_high', 'very_high']);
    expect(assessRisk(base)).toMatchObject({ score: 45, level: 'moderate' }); // tier 1 in production, Tuesday morning
    expect(assessRisk({ ...base, type: 'emergency', plannedStart: new Date('2026-03-13T15:00:00Z'), conflicts: [{ kind: 'blackout' }] })).toMatchObject({ score: 95, level: 'very_high' });
  });

  const facts: fc.Arbitrary<RiskFacts> = fc.record({
    type: fc.constantFrom('standard' as const, 'normal' as const, 'emergency' as const),
    services: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c'), tier: fc.integer({ min: 1, max: 4 }) }), { maxLength: 4 }),
    environments: fc.array(fc.record({ key: fc.constantFrom('x', 'y'), tier: fc.constantFrom<EnvironmentTier>('production', 'staging', 'testing', 'development') }), { maxLength: 3 }),
    workItemCount: fc.nat(20),
    conflicts: fc.array(fc.record({ kind: fc.constantFrom<ConflictKind>('change_overlap', 'dependency_overlap', 'blackout', 'freeze', 'outside_maintenance', 'assignee_double_booked') }), { maxLength: 8 }),
    plannedStart: fc.option(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })),
    timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/Los_Angeles'),
    closed: fc.nat(50),
    unsuccessful: fc.nat(50),
    dependents: fc.array(fc.constantFrom('p', 'q', 'r', 's'), { maxLength: 15 }),
  }).map((f) => ({ ...f, unsuccessful: Math.min(f.unsuccessful, f.closed) }));

  it('never lowers the score when a conflict is added', () => {
    fc.assert(fc.property(facts, fc.constantFrom<ConflictKind>('change_overlap', 'dependency_overlap', 'blackout', 'freeze', 'outside_maintenance', 'assignee_double_booked'), (f, kind) => {
      expect(assessRisk({ ...f, conflicts: [...f.conflicts, { kind }] }).score).toBeGreaterThanOrEqual(assessRisk(f).score);
    }));
  });

  it('never lowers the score when a service or environment becomes more critical', () => {
    fc.assert(fc.property(facts, fc.nat(10), (f, pick) => {
      fc.pre(f.services.length > 0);
      const i = pick % f.services.length;
      const raised = f.services.map((s, j) => (j === i ? { ...s, tier: Math.max(1, s.tier - 1) } : s));
      expect(assessRisk({ ...f, services: raised }).score).toBeGreaterThanOrEqual(assessRisk(f).score);
    }));
    const order: EnvironmentTier[] = ['development', 'testing', 'staging', 'production'];
    fc.assert(fc.property(facts, fc.nat(10), (f, pick) => {
      fc.pre(f.environments.length > 0);
      const i = pick % f.environments.length;
      const raised = f.environments.map((e, j) => (j === i ? { ...e, tier: order[Math.min(3, order.indexOf(e.tier) + 1)]! } : e));
      expect(assessRisk({ ...f, environments: raised }).score).toBeGreaterThanOrEqual(assessRisk(f).score);
    }));
  });

  it('keeps the score equal to the sum of the factors and the level consistent with it', () => {
    fc.assert(fc.property(facts, (f) => {
      const r = assessRisk(f);
      expect(r.score).toBe(r.factors.reduce((s, x) => s + x.points, 0));
      expect(r.level).toBe(levelOf(r.score));
      expect(r.factors.map((x) => x.factor)).toEqual([...FACTORS]);
      for (const x of r.factors) expect(x.detail.length).toBeGreaterThan(0);
    }));
  });
});
