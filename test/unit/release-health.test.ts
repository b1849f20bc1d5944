import { describe, expect, it } from 'vitest';
import { computeHealth, dependencyWarnings, type HealthInput } from '../../src/server/modules/releases/releases.health.js';
import { phaseScheduleErrors } from '../../src/server/modules/releases/releases.service.js';

const NOW = new Date('2030-06-15T12:00:00Z');
const d = (s: string) => new Date(`${s}T00:00:00Z`);
const base: HealthInput = { status: 'in_progress', plannedStart: d('2030-06-01'), plannedEnd: d('2030-06-30'), phases: [], gates: [], scope: { total: 0, done: 0 } };
const codes = (i: Partial<HealthInput>, now = NOW) => computeHealth({ ...base, ...i }, now).reasons.map((r) => r.code);

describe('release health', () => {
  it('is on track with nothing wrong', () => {
    expect(computeHealth(base, NOW)).toEqual({ status: 'on_track', reasons: [] });
  });

  it('is late once the planned end has passed and the release is not released', () => {
    const h = computeHealth({ ...base, plannedEnd: d('2030-06-10') }, NOW);
    expect(h.status).toBe('late');
    expect(h.reasons[0]).toMatchObject({ code: 'planned_end_passed' });
    expect(h.reasons[0]!.message).toContain('2030-06-10');
    // exactly at the planned end is not yet late
    expect(codes({ plannedEnd: NOW })).toEqual([]);
  });

  it('released and canceled releases are never at risk', () => {
    expect(computeHealth({ ...base, status: 'released', plannedEnd: d('2030-01-01') }, NOW).status).toBe('on_track');
    expect(computeHealth({ ...base, status: 'canceled', gates: [{ key: 'g', name: 'G', status: 'failed', plannedAt: null }] }, NOW).status).toBe('on_track');
  });

  it('an overdue phase is a risk, and late after a week', () => {
    const phase = { key: 'sit', name: 'SIT', plannedEnd: d('2030-06-12'), actualEnd: null };
    expect(computeHealth({ ...base, phases: [phase] }, NOW)).toMatchObject({ status: 'at_risk', reasons: [{ code: 'phase_overdue' }] });
    expect(computeHealth({ ...base, phases: [{ ...phase, plannedEnd: d('2030-06-01') }] }, NOW).status).toBe('late');
    expect(codes({ phases: [{ ...phase, actualEnd: d('2030-06-12') }] })).toEqual([]);
    expect(codes({ phases: [{ ...phase, plannedEnd: d('2030-06-20') }] })).toEqual([]);
  });

  it('a failed gate, or a gate past its date still pending, is a risk', () => {
    expect(codes({ gates: [{ key: 'g', name: 'G', status: 'failed', plannedAt: d('2030-06-20') }] })).toEqual(['gate_failed']);
    expect(codes({ gates: [{ key: 'g', name: 'G', status: 'pending', plannedAt: d('2030-06-14') }] })).toEqual(['gate_overdue']);
    expect(codes({ gates: [{ key: 'g', name: 'G', status: 'pending', plannedAt: d('2030-06-16') }] })).toEqual([]);
    expect(codes({ gates: [{ key: 'g', name: 'G', status: 'waived', plannedAt: d('2030-06-01') }] })).toEqual([]);
    expect(codes({ gates: [{ key: 'g', name: 'G', status: 'passed', plannedAt: d('2030-06-01') }] })).toEqual([]);
  });

  it('scope behind the elapsed share of the window by more than 20 points is a risk', () => {
    // 1 June → 1 July, on 16 June: exactly half elapsed
    const window = { plannedStart: d('2030-06-01'), plannedEnd: d('2030-07-01') };
    const at = d('2030-06-16');
    expect(codes({ ...window, scope: { total: 10, done: 2 } }, at)).toEqual(['scope_behind']); // 50 − 20 = 30 > 20
    expect(codes({ ...window, scope: { total: 10, done: 3 } }, at)).toEqual([]); // 50 − 30 = 20, not more
    expect(codes({ ...window, scope: { total: 0, done: 0 } }, at)).toEqual([]);
    expect(codes({ ...window, scope: { total: 10, done: 0 } }, d('2030-05-01'))).toEqual([]); // not started yet
    expect(computeHealth({ ...base, ...window, scope: { total: 4, done: 1 } }, at).reasons[0]!.message).toContain('1 of 4');
  });

  it('lists every reason, late ones first', () => {
    const h = computeHealth({ ...base, plannedEnd: d('2030-06-14'), gates: [{ key: 'g', name: 'G', status: 'failed', plannedAt: null }] }, NOW);
    expect(h).toMatchObject({ status: 'late', reasons: [{ code: 'planned_end_passed' }, { code: 'gate_failed' }] });
  });

  it('warns when a release ends before a release it depends on', () => {
    expect(dependencyWarnings({ plannedEnd: d('2030-06-10') }, [{ key: 'b', plannedEnd: d('2030-06-20') }, { key: 'c', plannedEnd: d('2030-06-01') }, { key: 'e', plannedEnd: null }]))
      .toEqual([expect.objectContaining({ code: 'dependency_ends_later', message: expect.stringContaining("'b'") })]);
    expect(dependencyWarnings({ plannedEnd: null }, [{ key: 'b', plannedEnd: d('2030-06-20') }])).toEqual([]);
  });
});

describe('phase schedule', () => {
  const path = (key: string, field: string) => `${key}.${field}`;
  const p = (key: string, position: number, start: string | null, end: string | null) => ({ key, position, planned_start: start ? d(start) : null, planned_end: end ? d(end) : null });

  it('accepts consecutive phases, touching ends, and phases without dates', () => {
    expect(phaseScheduleErrors([p('a', 1, '2030-01-01', '2030-01-05'), p('b', 2, '2030-01-05', '2030-01-09'), p('c', 3, null, null)], path)).toEqual([]);
  });
  it('refuses an end before the start, overlaps, and phases out of position order', () => {
    expect(phaseScheduleErrors([p('a', 1, '2030-01-05', '2030-01-01')], path).map((e) => e.path)).toEqual(['a.plannedEnd']);
    expect(phaseScheduleErrors([p('a', 1, '2030-01-01', '2030-01-05'), p('b', 2, '2030-01-04', '2030-01-09')], path).map((e) => e.path)).toEqual(['b.plannedStart']);
    expect(phaseScheduleErrors([p('a', 2, '2030-01-01', '2030-01-02'), p('b', 1, '2030-01-03', '2030-01-04')], path).map((e) => e.path)).toEqual(['a.plannedStart']);
    // a gap of undated phases in between does not hide an overlap
    expect(phaseScheduleErrors([p('a', 1, '2030-01-01', '2030-01-05'), p('m', 2, null, null), p('b', 3, '2030-01-02', null)], path).map((e) => e.path)).toEqual(['b.plannedStart']);
  });
});
