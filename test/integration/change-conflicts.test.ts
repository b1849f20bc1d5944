import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeStateValue, ChangeType } from '../../src/server/db/schema.js';
import { newId } from '../../src/server/lib/ids.js';
import type { ChangeConflict, ChangeSnapshot } from '../../src/server/modules/changes/change-contracts.js';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

const at = (iso: string) => new Date(iso);
const DAY = 86_400_000;

describe.each(targets)('change conflicts and risk on %s', (kind) => {
  let t: TestApp;
  const svc: Record<string, string> = {};
  const env: Record<string, string> = {};
  let seq = 0;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = systemActor('fixture');
    // edge → web → api → core-db (each depends on the next); batch and other stand alone
    svc['core-db'] = (await t.sg.services.services.create(admin, { key: 'core-db', name: 'Core DB', tier: 1 })).id;
    svc.api = (await t.sg.services.services.create(admin, { key: 'api', name: 'API', tier: 2, dependsOn: ['core-db'] })).id;
    svc.web = (await t.sg.services.services.create(admin, { key: 'web', name: 'Web', tier: 3, dependsOn: ['api'] })).id;
    svc.edge = (await t.sg.services.services.create(admin, { key: 'edge', name: 'Edge', tier: 3, dependsOn: ['web'] })).id;
    svc.batch = (await t.sg.services.services.create(admin, { key: 'batch', name: 'Batch', tier: 4 })).id;
    svc.other = (await t.sg.services.services.create(admin, { key: 'other', name: 'Other', tier: 4 })).id;
    env.prod = (await t.sg.services.environments.create(admin, { key: 'prod', name: 'Production', tier: 'production', order: 50 })).id;
    env.stage = (await t.sg.services.environments.create(admin, { key: 'stage', name: 'Staging', tier: 'staging', order: 40 })).id;
  });
  afterAll(async () => t?.close());

  interface Row {
    state?: ChangeStateValue;
    type?: ChangeType;
    services: string[];
    envs: string[];
    start?: string | null;
    end?: string | null;
    assignee?: string | null;
    closeCode?: 'successful' | 'successful_with_issues' | 'unsuccessful';
    actualEnd?: Date;
    title?: string;
  }

  /** A change straight into the tables, as the changes module stores it; returns its snapshot. */
  async function change(r: Row): Promise<ChangeSnapshot> {
    const db = t.sg.database.db;
    const id = newId();
    const number = `CHG${String(9_000_000 + ++seq)}`;
    const plannedStart = r.start ? at(r.start) : null;
    const plannedEnd = r.end ? at(r.end) : null;
    await db.insertInto('change_requests').values({
      id, number, type: r.type ?? 'normal', state: r.state ?? -2, title: r.title ?? `Change ${seq}`, impact: null, security_impact: null,
      planned_start: plannedStart, planned_end: plannedEnd, actual_start: r.actualEnd ? new Date(r.actualEnd.getTime() - 3_600_000) : null, actual_end: r.actualEnd ?? null,
      close_code: r.closeCode ?? null, emergency_reason: null, risk_level: null, risk_score: null, risk_override: null, conflicts_checked_at: null,
      requested_by: null, assignment_team_id: null, assignee_id: r.assignee ?? null, release_id: null, template_id: null, template_version: null, updated_at: new Date(),
    }).execute();
    // a closed change's links carry its outcome, as the changes module records it on close
    const outcome = r.state === 3 ? { closed_at: r.actualEnd ?? new Date(), unsuccessful: r.closeCode === 'unsuccessful' } : {};
    if (r.services.length) await db.insertInto('change_services').values(r.services.map((s) => ({ change_id: id, service_id: svc[s]!, ...outcome }))).execute();
    if (r.envs.length) await db.insertInto('change_environments').values(r.envs.map((e) => ({ change_id: id, environment_id: env[e]! }))).execute();
    return {
      id, number, type: r.type ?? 'normal', state: r.state ?? -2, title: r.title ?? `Change ${seq}`, requestedBy: null, assigneeId: r.assignee ?? null,
      assignmentTeamId: null, releaseId: null, approvalRound: 1, plannedStart, plannedEnd,
      serviceIds: r.services.map((s) => svc[s]!), environmentIds: r.envs.map((e) => env[e]!), workItemCount: 0, riskLevel: null, policy: null,
    };
  }

  // inside a transaction, as the changes module calls it (on PGlite a stray query outside it would hang)
  const conflicts = (c: ChangeSnapshot) => t.sg.database.db.transaction().execute((tx) => t.sg.services.changeAssessor.conflicts(tx, c));
  const risk = (c: ChangeSnapshot, found: ChangeConflict[] = []) => t.sg.database.db.transaction().execute((tx) => t.sg.services.changeAssessor.risk(tx, c, found));
  const summary = (cs: ChangeConflict[]) => cs.map((c) => `${c.kind}:${c.with.label}`);

  it('finds other active changes overlapping on the same service and environment, and nothing else', async () => {
    const w = { start: '2030-06-04T10:00:00Z', end: '2030-06-04T12:00:00Z' };
    const overlapping = await change({ services: ['core-db', 'other'], envs: ['prod'], start: '2030-06-04T11:00:00Z', end: '2030-06-04T14:00:00Z', title: 'Resize volumes' });
    await change({ services: ['core-db'], envs: ['prod'], start: '2030-06-04T12:00:00Z', end: '2030-06-04T13:00:00Z' }); // touches the end
    await change({ services: ['core-db'], envs: ['prod'], start: '2030-06-04T08:00:00Z', end: '2030-06-04T10:00:00Z' }); // touches the start
    await change({ services: ['core-db'], envs: ['stage'], ...w }); // other environment
    await change({ services: ['core-db'], envs: ['prod'], ...w, state: 3 }); // closed
    await change({ services: ['core-db'], envs: ['prod'], ...w, state: 4 }); // canceled
    await change({ services: ['batch'], envs: ['prod'], ...w }); // unrelated service
    await change({ services: ['core-db'], envs: ['prod'], start: null, end: null }); // not planned
    const mine = await change({ services: ['core-db'], envs: ['prod'], ...w });

    const found = await conflicts(mine);
    expect(found).toEqual([{
      kind: 'change_overlap', with: { type: 'change', id: overlapping.id, label: overlapping.number },
      start: '2030-06-04T11:00:00.000Z', end: '2030-06-04T12:00:00.000Z',
      detail: `${overlapping.number} "Resize volumes" also changes core-db in prod from 2030-06-04 11:00 UTC to 2030-06-04 12:00 UTC.`,
    }]);
    expect(await conflicts({ ...mine, plannedStart: null, plannedEnd: null })).toEqual([]);
    // a proposed change not stored yet sees the stored one too
    expect(summary(await conflicts({ ...mine, id: newId() }))).toEqual([`change_overlap:${mine.number}`, `change_overlap:${overlapping.number}`]); // by planned start
  });

  it('finds overlapping changes on a direct dependency or dependent in the same environment', async () => {
    const w = { start: '2030-06-11T10:00:00Z', end: '2030-06-11T12:00:00Z' };
    const child = await change({ services: ['web'], envs: ['prod'], ...w, title: 'New checkout page' }); // web depends on api
    const parent = await change({ services: ['core-db'], envs: ['prod', 'stage'], start: '2030-06-11T09:00:00Z', end: '2030-06-11T10:30:00Z' }); // api depends on core-db
    await change({ services: ['edge'], envs: ['prod'], ...w }); // two levels away
    await change({ services: ['core-db'], envs: ['stage'], ...w }); // other environment
    await change({ services: ['web'], envs: ['prod'], ...w, state: 4 });
    const mine = await change({ services: ['api'], envs: ['prod'], ...w });

    const found = await conflicts(mine);
    expect(summary(found)).toEqual([`dependency_overlap:${parent.number}`, `dependency_overlap:${child.number}`]);
    expect(found[0]).toMatchObject({ start: '2030-06-11T10:00:00.000Z', end: '2030-06-11T10:30:00.000Z', detail: `${parent.number} "Change ${seq - 4}" changes core-db (a dependency of api) in prod from 2030-06-11 10:00 UTC to 2030-06-11 10:30 UTC.` });
    expect(found[1]!.detail).toBe(`${child.number} "New checkout page" changes web (depends on api) in prod from 2030-06-11 10:00 UTC to 2030-06-11 12:00 UTC.`);

    // a change on both a shared service and a neighbour is reported once, as a direct overlap
    const both = await change({ services: ['api', 'core-db'], envs: ['prod'], ...w });
    expect(summary(await conflicts(mine)).filter((s) => s.endsWith(both.number))).toEqual([`change_overlap:${both.number}`]);
  });

  it('finds the assignee booked on another overlapping change, whatever its scope', async () => {
    const dev = t.users.developer.id;
    const w = { start: '2030-06-18T10:00:00Z', end: '2030-06-18T12:00:00Z' };
    const elsewhere = await change({ services: ['other'], envs: ['stage'], start: '2030-06-18T11:30:00Z', end: '2030-06-18T15:00:00Z', assignee: dev });
    await change({ services: ['other'], envs: ['stage'], ...w, assignee: t.users.viewer.id }); // someone else
    await change({ services: ['other'], envs: ['stage'], start: '2030-06-18T12:00:00Z', end: '2030-06-18T13:00:00Z', assignee: dev }); // touching
    await change({ services: ['other'], envs: ['stage'], ...w, assignee: dev, state: 3 });
    const mine = await change({ services: ['batch'], envs: ['prod'], ...w, assignee: dev });
    const found = await conflicts(mine);
    expect(found).toEqual([{
      kind: 'assignee_double_booked', with: { type: 'change', id: elsewhere.id, label: elsewhere.number },
      start: '2030-06-18T11:30:00.000Z', end: '2030-06-18T12:00:00.000Z',
      detail: `Test developer is also assigned ${elsewhere.number} "Change ${seq - 4}" from 2030-06-18 11:30 UTC to 2030-06-18 12:00 UTC.`,
    }]);
    expect(await conflicts({ ...mine, assigneeId: null })).toEqual([]);
  });

  it('finds blackouts, freezes and maintenance windows through the time-window engine', async () => {
    const admin = systemActor('fixture');
    const windows = t.sg.services.windows;
    const blackout = await windows.create(admin, { name: 'Quarter close', kind: 'blackout', timeZone: 'UTC', start: '2030-07-01T00:00', end: '2030-07-02T00:00', scope: { services: ['core-db'] } });
    const freeze = await windows.create(admin, { name: 'Launch freeze', kind: 'freeze', timeZone: 'UTC', start: '2030-07-10T00:00', end: '2030-07-11T00:00', scope: { environments: ['prod'] } });
    const maintenance = await windows.create(admin, {
      name: 'Batch Sunday slot', kind: 'maintenance', timeZone: 'UTC', start: '2030-06-02T02:00', end: '2030-06-02T04:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=SU' }, scope: { services: ['batch'] },
    });

    const inBlackout = await change({ services: ['core-db'], envs: ['prod', 'stage'], start: '2030-06-30T22:00:00Z', end: '2030-07-01T02:00:00Z' });
    const found = await conflicts(inBlackout);
    expect(found).toEqual([{
      kind: 'blackout', with: { type: 'window', id: blackout.id, label: 'Quarter close' }, start: '2030-07-01T00:00:00.000Z', end: '2030-07-01T02:00:00.000Z',
      detail: 'Blackout "Quarter close" covers core-db in stage, core-db in prod from 2030-07-01 00:00 UTC to 2030-07-01 02:00 UTC: no change may be made then.',
    }]);
    expect(await conflicts({ ...inBlackout, plannedStart: at('2030-07-02T00:00:00Z'), plannedEnd: at('2030-07-02T02:00:00Z') })).toEqual([]); // touching

    const frozen = await change({ services: ['api'], envs: ['prod', 'stage'], start: '2030-07-10T09:00:00Z', end: '2030-07-10T10:00:00Z' });
    expect(await conflicts(frozen)).toEqual([{
      kind: 'freeze', with: { type: 'window', id: freeze.id, label: 'Launch freeze' }, start: '2030-07-10T09:00:00.000Z', end: '2030-07-10T10:00:00.000Z',
      detail: 'Freeze "Launch freeze" covers api in prod from 2030-07-10 09:00 UTC to 2030-07-10 10:00 UTC: the change may be planned and approved, but its deployment would be frozen.',
    }]);
    expect(await conflicts({ ...frozen, environmentIds: [env.stage!] })).toEqual([]);
    // an override of the freeze for this change lifts it
    await windows.createOverride(admin, freeze.id, { subjectType: 'change', subjectRef: frozen.number, reason: 'launch itself' });
    expect(await conflicts(frozen)).toEqual([]);

    const sunday = await change({ services: ['batch'], envs: ['stage'], start: '2030-06-09T02:30:00Z', end: '2030-06-09T03:30:00Z' });
    expect(await conflicts(sunday)).toEqual([]);
    const tuesday = { ...sunday, plannedStart: at('2030-06-11T02:30:00Z'), plannedEnd: at('2030-06-11T03:30:00Z') };
    expect(await conflicts(tuesday)).toEqual([{
      kind: 'outside_maintenance', with: { type: 'window', id: maintenance.id, label: 'Batch Sunday slot' }, start: '2030-06-11T02:30:00.000Z', end: '2030-06-11T03:30:00.000Z',
      detail: 'The planned window from 2030-06-11 02:30 UTC to 2030-06-11 03:30 UTC is not inside maintenance window "Batch Sunday slot", which applies to batch in stage.',
    }]);
    // a change without services or environments meets no window
    expect(await conflicts({ ...tuesday, serviceIds: [] })).toEqual([]);
  });

  it('computes the blast radius through a three-level dependency chain', async () => {
    const c = await change({ services: ['core-db'], envs: ['stage'], start: '2031-01-07T10:00:00Z', end: '2031-01-07T11:00:00Z' });
    const r = await risk(c);
    expect(r.factors.find((f) => f.factor === 'blast_radius')).toEqual({
      factor: 'blast_radius', points: 6, detail: '3 services depend on the changed services, directly or transitively: api, edge, web',
    });
    const mid = await risk({ ...c, serviceIds: [svc.web!, svc.api!] });
    expect(mid.factors.find((f) => f.factor === 'blast_radius')!.detail).toBe('1 service depends on the changed services, directly or transitively: edge');
    expect((await risk({ ...c, serviceIds: [svc.edge!] })).factors.find((f) => f.factor === 'blast_radius')!.points).toBe(0);
  });

  it('computes the 90-day change failure rate of the services from closed changes', async () => {
    const probe = await change({ services: ['batch'], envs: ['stage'], start: '2031-02-04T10:00:00Z', end: '2031-02-04T11:00:00Z' });
    const rate = async () => (await risk(probe)).factors.find((f) => f.factor === 'failure_rate')!;
    expect(await rate()).toEqual({ factor: 'failure_rate', points: 0, detail: 'no closed changes in 90 days' });
    const recent = new Date(Date.now() - 10 * DAY);
    await change({ services: ['batch'], envs: ['prod'], state: 3, closeCode: 'successful', actualEnd: recent });
    await change({ services: ['batch', 'other'], envs: ['prod'], state: 3, closeCode: 'unsuccessful', actualEnd: recent });
    await change({ services: ['batch'], envs: ['prod'], state: 3, closeCode: 'successful_with_issues', actualEnd: recent });
    await change({ services: ['batch'], envs: ['prod'], state: 3, closeCode: 'successful', actualEnd: recent });
    await change({ services: ['batch'], envs: ['prod'], state: 3, closeCode: 'unsuccessful', actualEnd: new Date(Date.now() - 100 * DAY) }); // too old
    await change({ services: ['batch'], envs: ['prod'], state: 4, actualEnd: recent }); // canceled
    await change({ services: ['batch'], envs: ['prod'], state: 0, closeCode: 'unsuccessful', actualEnd: recent }); // in review, not closed
    await change({ services: ['other'], envs: ['prod'], state: 3, closeCode: 'unsuccessful', actualEnd: recent }); // another service
    expect(await rate()).toEqual({ factor: 'failure_rate', points: 6, detail: '1 of 4 closed changes of these services unsuccessful in 90 days (25%)' });
  });

  it('returns every factor with the score and level for a stored change', async () => {
    const c = await change({ type: 'emergency', services: ['core-db'], envs: ['prod'], start: '2031-03-07T15:00:00Z', end: '2031-03-07T16:00:00Z' }); // a Friday
    const r = await risk(c, [{ kind: 'blackout', with: { type: 'window', id: newId(), label: 'x' }, start: null, end: null, detail: '' }]);
    expect(r.factors.map((f) => [f.factor, f.points])).toEqual([
      ['service_tier', 25], ['environment_tier', 20], ['change_size', 0], ['emergency', 20], ['conflicts', 20], ['time_of_week', 10], ['failure_rate', 0], ['blast_radius', 6],
    ]);
    expect(r).toMatchObject({ score: 101, level: 'very_high' });
  });
});
