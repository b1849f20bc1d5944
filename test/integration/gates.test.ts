import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';
import { gateRow, insertGate, insertRelease, type FixtureRelease } from '../helpers/release-fixtures.js';

describe.each(targets)('gates at run time on %s', (kind) => {
  let t: TestApp;
  let release: FixtureRelease;
  let cabId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    release = await insertRelease(t.sg.database.db, { key: 'train-7' });
    const cab = await t.sg.services.teams.create(systemActor('test'), { key: 'cab', name: 'CAB' });
    cabId = cab.id;
    await t.sg.services.teams.addMember(systemActor('test'), cab.id, t.users.approver.id);
    await t.sg.services.teams.addMember(systemActor('test'), cab.id, t.users.change_manager.id);
    await t.sg.services.teams.addMember(systemActor('test'), cab.id, t.users.viewer.id); // no gate:signoff: never a pending approver
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const gate = async (id: string, role: 'viewer' | 'admin' = 'viewer') => {
    const res = await t.request({ method: 'GET', url: `/api/v1/gates/${id}`, role });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const sign = (id: string, role: 'approver' | 'change_manager' | 'release_manager' | 'viewer' | 'admin', body: Record<string, unknown>) =>
    t.request({ method: 'POST', url: `/api/v1/gates/${id}/signoffs`, role, body });
  const workItem = (body: Record<string, unknown>) =>
    t.request({ method: 'POST', url: '/api/v1/work-items', role: 'developer', body: { source: 'jira', type: 'story', title: 'x', statusCategory: 'todo', ...body } });
  const gateEvents = async (gateId: string) => {
    const jobs = (await db().selectFrom('pgboss.job' as never).select('data' as never).where('name' as never, '=', 'domain-events' as never).execute()) as { data: { type: string; entityId: string } }[];
    return jobs.filter((j) => j.data.entityId === gateId).map((j) => j.data.type);
  };

  it('scope criteria re-evaluate in the transaction of each work item change, with no evaluation on read', async () => {
    const g = await insertGate(db(), release.id, { key: 'scope-done', criteria: [{ kind: 'all_scope_done' }, { kind: 'no_open_blockers' }] });
    const forced = await t.request({ method: 'POST', url: `/api/v1/gates/${g.id}/evaluate`, role: 'release_manager' });
    expect(forced.statusCode, forced.body).toBe(200);
    expect(forced.json().status).toBe('pending');
    expect(forced.json().criteria.map((c: { status: string; detail: string }) => [c.status, c.detail])).toEqual([['pending', 'no scope yet'], ['passed', 'no open blocking work items']]);

    // reading never writes: the stored status is what GET shows
    const before = await fingerprint(db());
    await gate(g.id);
    await gate(g.id);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);

    const a = (await workItem({ externalKey: 'SC-1', releaseId: release.id, blocking: true })).json();
    expect((await db().selectFrom('gate_criteria').select(['detail']).where('gate_id', '=', g.id).orderBy('position').execute()).map((c) => c.detail))
      .toEqual(['0 of 1 work item done', '1 open blocking work item']);
    expect((await gateRow(db(), g.id)).status).toBe('pending');

    const done = await t.request({ method: 'PATCH', url: `/api/v1/work-items/${a.id}`, role: 'developer', body: { statusCategory: 'done' } });
    expect(done.statusCode, done.body).toBe(200);
    // the row already says passed, before anyone reads or evaluates it
    const row = await gateRow(db(), g.id);
    expect(row.status).toBe('passed');
    expect(await gateEvents(g.id)).toContain('gate.evaluated');
    const read = await gate(g.id);
    expect(read).toMatchObject({ status: 'passed', version: row.version });
    expect(read.criteria.map((c: { status: string }) => c.status)).toEqual(['passed', 'passed']);

    // a new open item moved in makes it pending again; detaching it passes again
    const b = (await workItem({ externalKey: 'SC-2' })).json();
    await t.request({ method: 'PATCH', url: `/api/v1/work-items/${b.id}`, body: { release: 'train-7' } });
    expect((await gateRow(db(), g.id)).status).toBe('pending');
    await t.request({ method: 'PATCH', url: `/api/v1/work-items/${b.id}`, body: { releaseId: null } });
    expect((await gateRow(db(), g.id)).status).toBe('passed');
    // an upsert that reopens an item
    await t.request({ method: 'PUT', url: '/api/v1/work-items/by-key/jira/SC-1', role: 'developer', body: { type: 'story', title: 'x', statusCategory: 'in_progress' } });
    expect((await gateRow(db(), g.id)).status).toBe('pending');
    const audit = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=gate&entityId=${g.id}`, role: 'auditor' })).json().items;
    expect(audit.map((e: { action: string }) => e.action)).toContain('gate.evaluated');
  });

  it('concurrent changes of the scope leave the stored status right (the release lock serialises evaluations)', async () => {
    const rel = await insertRelease(db());
    const g = await insertGate(db(), rel.id, { criteria: [{ kind: 'all_scope_done' }] });
    const items = [];
    for (let i = 0; i < 6; i++) items.push((await workItem({ externalKey: `CC-${i}`, releaseId: rel.id })).json());
    const results = await Promise.all(items.map((w) => t.request({ method: 'PATCH', url: `/api/v1/work-items/${w.id}`, role: 'developer', body: { statusCategory: 'done' } })));
    expect(results.map((r) => r.statusCode)).toEqual(items.map(() => 200));
    expect((await gateRow(db(), g.id)).status).toBe('passed');
    expect((await gate(g.id)).criteria[0].detail).toBe('all 6 work items done');
  });

  it('sign-off: needs gate:signoff and membership in the approver team; quorum of approvals passes', async () => {
    const g = await insertGate(db(), release.id, { key: 'cab-signoff', approverTeamId: cabId, quorum: 2, criteria: [{ kind: 'manual_signoff' }] });
    const initial = await gate(g.id);
    expect(initial.signoff).toMatchObject({ required: true, approverTeam: { key: 'cab' }, quorum: 2, approvals: 0, rejections: 0 });
    expect(initial.signoff.pendingApprovers.map((p: { id: string }) => p.id).sort()).toEqual([t.users.approver.id, t.users.change_manager.id].sort());

    const before = await fingerprint(db());
    const outsider = expectProblem(await sign(g.id, 'release_manager', { decision: 'approve' }), 403, 'not_an_approver');
    expect(outsider.detail).toContain("approver team 'cab'");
    expect(expectProblem(await sign(g.id, 'viewer', { decision: 'approve' }), 403, 'permission_denied').permission).toBe('gate:signoff');
    expect(expectProblem(await sign(g.id, 'approver', { decision: 'reject' }), 400, 'validation_failed').errors?.[0]?.path).toBe('comment');
    expectProblem(await sign(g.id, 'approver', { decision: 'maybe' }), 400, 'validation_failed');
    expectProblem(await sign(g.id, 'approver', { decision: 'approve', extra: 1 }), 400, 'validation_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);

    const first = await sign(g.id, 'approver', { decision: 'approve', comment: 'looks good' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ status: 'pending', signoff: { approvals: 1 } });
    expect(first.json().signoff.pendingApprovers.map((p: { id: string }) => p.id)).toEqual([t.users.change_manager.id]);
    // deciding again replaces the decision: still one approval
    const again = (await sign(g.id, 'approver', { decision: 'approve', comment: 'still good' })).json();
    expect(again.signoff).toMatchObject({ approvals: 1, decisions: [{ user: { id: t.users.approver.id }, comment: 'still good' }] });

    const second = (await sign(g.id, 'change_manager', { decision: 'approve' })).json();
    expect(second.status).toBe('passed');
    expect((await gateRow(db(), g.id)).status).toBe('passed');

    const rejected = (await sign(g.id, 'approver', { decision: 'reject', comment: 'found a data-loss bug' })).json();
    expect(rejected).toMatchObject({ status: 'failed', signoff: { approvals: 1, rejections: 1 } });
    expect(rejected.criteria[0]).toMatchObject({ status: 'failed', detail: 'rejected by 1 approver' });
    const audit = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=gate&entityId=${g.id}`, role: 'auditor' })).json().items;
    expect(audit.filter((e: { action: string }) => e.action === 'gate.signed_off')).toHaveLength(4);
    expect(await gateEvents(g.id)).toContain('gate.signed_off');
  });

  it('without an approver team anyone holding gate:signoff may sign; a gate without a sign-off criterion refuses', async () => {
    const g = await insertGate(db(), release.id, { criteria: [{ kind: 'manual_signoff' }] });
    expect((await gate(g.id)).signoff.pendingApprovers).toBeNull();
    const res = await sign(g.id, 'release_manager', { decision: 'approve' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('passed');
    const noSignoff = await insertGate(db(), release.id, { criteria: [{ kind: 'all_scope_done' }] });
    const before = await fingerprint(db());
    expectProblem(await sign(noSignoff.id, 'admin', { decision: 'approve' }), 409, 'signoff_not_required');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('waivers need gate:waive and a reason of at least 10 characters; they are audited and final', async () => {
    const g = await insertGate(db(), release.id, { criteria: [{ kind: 'manual_signoff' }, { kind: 'change_approved' }] });
    const url = `/api/v1/gates/${g.id}/waivers`;
    const before = await fingerprint(db());
    expect(expectProblem(await t.request({ method: 'POST', url, role: 'developer', body: { reason: 'because we must ship' } }), 403, 'permission_denied').permission).toBe('gate:waive');
    expectProblem(await t.request({ method: 'POST', url, role: 'change_manager', body: {} }), 400, 'validation_failed');
    const short = expectProblem(await t.request({ method: 'POST', url, role: 'change_manager', body: { reason: '  too short  ' } }), 400, 'validation_failed');
    expect(short.errors?.[0]?.path).toBe('reason');
    expectProblem(await t.request({ method: 'POST', url, role: 'change_manager', body: { reason: 'x'.repeat(4001) } }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'POST', url, role: 'change_manager', body: { reason: 'because we must ship' }, headers: { 'if-match': '"9"' } }), 412, 'precondition_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);

    const waived = await t.request({ method: 'POST', url, role: 'change_manager', body: { reason: 'Emergency fix approved by the CIO by phone' } });
    expect(waived.statusCode, waived.body).toBe(200);
    expect(waived.json()).toMatchObject({ status: 'waived', waiver: { reason: 'Emergency fix approved by the CIO by phone', by: { id: t.users.change_manager.id } } });
    const audit = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=gate&entityId=${g.id}`, role: 'auditor' })).json().items;
    expect(audit[0]).toMatchObject({ action: 'gate.waived', diff: { after: { status: 'waived', reason: 'Emergency fix approved by the CIO by phone' } } });
    expect(await gateEvents(g.id)).toEqual(expect.arrayContaining(['gate.waived', 'gate.evaluated']));

    const after = await fingerprint(db());
    expectProblem(await t.request({ method: 'POST', url, role: 'admin', body: { reason: 'another reason entirely' } }), 409, 'already_waived');
    expectProblem(await sign(g.id, 'admin', { decision: 'approve' }), 409, 'gate_waived');
    expect(changedTables(after, await fingerprint(db()))).toEqual([]);
    // a waived gate stays waived when it is re-evaluated
    expect((await t.request({ method: 'POST', url: `/api/v1/gates/${g.id}/evaluate`, role: 'admin' })).json().status).toBe('waived');
  });

  it('custom checks: passed computed from value ≥ min; the latest report decides', async () => {
    const g = await insertGate(db(), release.id, { criteria: [{ kind: 'custom_check', config: { name: 'test pass rate', min: 98 } }, { kind: 'custom_check', config: { name: 'pen test' } }] });
    const [rate, pen] = g.criteria;
    const report = (criterionId: string, body: Record<string, unknown>, role: 'developer' | 'viewer' | 'approver' = 'developer') =>
      t.request({ method: 'POST', url: `/api/v1/gates/${g.id}/criteria/${criterionId}/reports`, role, body });

    const low = await report(rate!.id, { value: 97.5, detail: 'nightly run 812' });
    expect(low.statusCode, low.body).toBe(200);
    expect(low.json().status).toBe('failed');
    expect(low.json().criteria[0]).toMatchObject({ status: 'failed', detail: 'test pass rate 97.5 < 98: failed (nightly run 812)', latestReport: { passed: false, value: 97.5 } });
    const high = (await report(rate!.id, { value: 99.2 })).json();
    expect(high.criteria[0]).toMatchObject({ status: 'passed', latestReport: { value: 99.2 } });
    expect(high.status).toBe('pending'); // the pen test has not reported yet
    expect((await report(pen!.id, { passed: true })).json().status).toBe('passed');

    const before = await fingerprint(db());
    expect(expectProblem(await report(rate!.id, { passed: true }), 422, 'invalid_report').errors?.[0]?.path).toBe('value');
    expect(expectProblem(await report(rate!.id, { value: 50, passed: true }), 422, 'invalid_report').errors?.[0]?.path).toBe('passed');
    expect(expectProblem(await report(pen!.id, { value: 3 }), 422, 'invalid_report').errors?.[0]?.path).toBe('passed');
    expectProblem(await report(rate!.id, { value: 'high' }), 400, 'validation_failed');
    expectProblem(await report(rate!.id, { value: 1e300 }), 400, 'validation_failed');
    expectProblem(await report(rate!.id, { value: 99 }, 'approver'), 403, 'permission_denied');
    expectProblem(await report('0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee', { passed: true }), 404, 'not_found');
    const other = await insertGate(db(), release.id, { criteria: [{ kind: 'all_scope_done' }] });
    const afterInsert = await fingerprint(db());
    expectProblem(await t.request({ method: 'POST', url: `/api/v1/gates/${other.id}/criteria/${other.criteria[0]!.id}/reports`, role: 'developer', body: { passed: true } }), 409, 'not_a_custom_check');
    // a criterion of another gate is not found under this one
    expectProblem(await report(other.criteria[0]!.id, { passed: true }), 404, 'not_found');
    expect(changedTables(afterInsert, await fingerprint(db()))).toEqual([]);
    expect(changedTables(before, afterInsert).sort()).toEqual(['gate_criteria', 'release_gates']);
  });

  it('change_approved and deployment_succeeded stay pending and say why', async () => {
    const g = await insertGate(db(), release.id, { criteria: [{ kind: 'change_approved' }, { kind: 'deployment_succeeded', config: { environment: 'production' } }] });
    const res = (await t.request({ method: 'POST', url: `/api/v1/gates/${g.id}/evaluate`, role: 'admin' })).json();
    expect(res.status).toBe('pending');
    expect(res.criteria.map((c: { detail: string }) => c.detail)).toEqual(['waiting: change requests are not available yet', 'waiting: deployments are not available yet']);
  });

  it('gates of a released or canceled release take no more decisions; unknown gates are 404', async () => {
    const closed = await insertRelease(db(), { status: 'released' });
    const g = await insertGate(db(), closed.id, { criteria: [{ kind: 'manual_signoff' }] });
    const before = await fingerprint(db());
    expectProblem(await sign(g.id, 'admin', { decision: 'approve' }), 409, 'release_closed');
    expectProblem(await t.request({ method: 'POST', url: `/api/v1/gates/${g.id}/waivers`, role: 'admin', body: { reason: 'we released it anyway' } }), 409, 'release_closed');
    const missing = '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee';
    expectProblem(await t.request({ method: 'GET', url: `/api/v1/gates/${missing}` }), 404, 'not_found');
    expectProblem(await sign(missing, 'admin', { decision: 'approve' }), 404, 'not_found');
    expectProblem(await t.request({ method: 'POST', url: `/api/v1/gates/${missing}/evaluate` }), 404, 'not_found');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/gates/not-a-uuid' }), 400, 'validation_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });
});
