import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const DAY = 86_400_000;
const daysFromNow = (d: number) => new Date(Date.now() + d * DAY).toISOString();

describe.each(targets)('releases API on %s', (kind) => {
  let t: TestApp;
  let teamId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const [key, tier, order] of [['dev', 'development', 1], ['sit', 'testing', 2], ['prod', 'production', 3]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key.toUpperCase(), tier, order } })).statusCode).toBe(201);
    }
    teamId = (await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'payments', name: 'Payments' } })).json().id;
    expect((await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'ledger', name: 'Ledger', tier: 1 } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'checkout', name: 'Checkout', tier: 2 } })).statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const post = (url: string, body: unknown, role: 'admin' | 'release_manager' | 'developer' | 'viewer' = 'release_manager', headers: Record<string, string> = {}) =>
    t.request({ method: 'POST', url, body, role, headers });
  const get = async (ref: string) => (await t.request({ method: 'GET', url: `/api/v1/releases/${ref}`, role: 'viewer' })).json();
  /** A rejected request: the status and code, the named field, and no table changed. */
  async function rejected(send: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, status: number, code: string, path?: string) {
    const before = await fingerprint(db());
    const p = expectProblem((await send()) as never, status, code);
    if (path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return p;
  }

  const explicit = {
    key: 'pay-2026-1', name: 'Payments 2026.1', releaseVersion: '2026.1', type: 'independent', description: 'First drop',
    plannedStart: '2030-03-01T00:00:00Z', plannedEnd: '2030-03-31T00:00:00Z',
    services: ['ledger', { service: 'checkout', version: '4.2.0' }],
    phases: [
      { key: 'build', name: 'Build', plannedStart: '2030-03-01T00:00:00Z', plannedEnd: '2030-03-10T00:00:00Z', environments: ['dev'] },
      { key: 'sit', name: 'SIT', plannedStart: '2030-03-10T00:00:00Z', plannedEnd: '2030-03-20T00:00:00+02:00', environments: ['sit'] },
    ],
    gates: [{ key: 'sit-exit', name: 'SIT exit', afterPhase: 'sit', criteria: [{ kind: 'all_scope_done' }], quorum: 2 }],
  };

  it('creates a release with phases, gates and services; reads it by id and key', async () => {
    const res = await post('/api/v1/releases', { ...explicit, ownerTeamId: teamId });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/releases/${body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(body).toMatchObject({
      key: 'pay-2026-1', releaseVersion: '2026.1', type: 'independent', status: 'draft', ownerTeam: { key: 'payments' }, version: 1,
      plannedStart: '2030-03-01T00:00:00.000Z', plannedEnd: '2030-03-31T00:00:00.000Z', templateId: null,
      services: [{ key: 'checkout', version: '4.2.0' }, { key: 'ledger', version: null }],
      phases: [{ key: 'build', position: 1, environments: [{ key: 'dev' }] }, { key: 'sit', position: 2, plannedEnd: '2030-03-19T22:00:00.000Z' }],
      gates: [{ key: 'sit-exit', afterPhase: 'sit', plannedAt: '2030-03-19T22:00:00.000Z', status: 'pending', quorum: 2, criteria: [{ kind: 'all_scope_done', status: 'pending' }] }],
      health: { status: 'on_track', reasons: [] }, warnings: [],
    });
    expect(await get(body.id)).toEqual(body);
    const audit = await db().selectFrom('audit_events').select('action').where('entity_id', '=', body.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['release.created']);
  });

  it('creates from a template: phases laid out from plannedStart, gates at the end of their phase; later template edits change nothing', async () => {
    const tpl = await post('/api/v1/release-templates', {
      key: 'train', name: 'Train', definition: {
        phases: [
          { key: 'build', name: 'Build', environments: ['dev'], defaultDurationDays: 10 },
          { key: 'sit', name: 'SIT', environments: ['sit', 'dev'], defaultDurationDays: 5 },
          { key: 'prod', name: 'Prod', environments: ['prod'], defaultDurationDays: 1 },
        ],
        gates: [{ key: 'go-live', name: 'Go live', afterPhase: 'sit', criteria: [{ kind: 'manual_signoff', config: { group: 'cab' } }], approverTeam: 'payments', quorum: 2 }, { key: 'kickoff', name: 'Kick-off', afterPhase: null }],
      },
    });
    expect(tpl.statusCode, tpl.body).toBe(201);
    const res = await post('/api/v1/releases', { key: 'train-2030-04', name: 'April train', type: 'enterprise', templateKey: 'train', plannedStart: '2030-04-01T00:00:00Z' });
    expect(res.statusCode, res.body).toBe(201);
    const rel = res.json();
    expect(rel).toMatchObject({ templateId: tpl.json().id, templateVersion: 1, plannedStart: '2030-04-01T00:00:00.000Z', plannedEnd: '2030-04-17T00:00:00.000Z' });
    expect(rel.phases.map((p: { key: string; plannedStart: string; plannedEnd: string }) => [p.key, p.plannedStart.slice(0, 10), p.plannedEnd.slice(0, 10)])).toEqual([
      ['build', '2030-04-01', '2030-04-11'], ['sit', '2030-04-11', '2030-04-16'], ['prod', '2030-04-16', '2030-04-17'],
    ]);
    expect(rel.phases[1].environments.map((e: { key: string }) => e.key)).toEqual(['dev', 'sit']);
    const goLive = rel.gates.find((g: { key: string }) => g.key === 'go-live');
    expect(goLive).toMatchObject({ afterPhase: 'sit', plannedAt: '2030-04-16T00:00:00.000Z', quorum: 2, approverTeam: { key: 'payments' }, criteria: [{ kind: 'manual_signoff', config: { group: 'cab' } }] });
    expect(rel.gates.find((g: { key: string }) => g.key === 'kickoff')).toMatchObject({ afterPhase: null, plannedAt: '2030-04-01T00:00:00.000Z' });

    const edit = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/train', body: { definition: { phases: [{ key: 'only', name: 'Only', defaultDurationDays: 3 }] } } });
    expect(edit.json().templateVersion).toBe(2);
    const after = await get('train-2030-04');
    expect(after.phases).toEqual(rel.phases);
    expect(after.gates).toEqual(rel.gates);
    expect(after.templateVersion).toBe(1);
  });

  it('refuses bad release input with a clear 4xx naming the field, and changes nothing', async () => {
    const base = { key: 'bad-one', name: 'Bad', type: 'independent' };
    await rejected(() => post('/api/v1/releases', { ...base, plannedStart: '2030-05-10T00:00:00Z', plannedEnd: '2030-05-01T00:00:00Z' }), 422, 'invalid_dates', 'plannedEnd');
    await rejected(() => post('/api/v1/releases', { ...base, phases: [
      { key: 'a1', name: 'A', plannedStart: '2030-05-01T00:00:00Z', plannedEnd: '2030-05-10T00:00:00Z' },
      { key: 'b1', name: 'B', plannedStart: '2030-05-05T00:00:00Z', plannedEnd: '2030-05-12T00:00:00Z' },
    ] }), 422, 'invalid_phase_schedule', 'phases.1.plannedStart');
    await rejected(() => post('/api/v1/releases', { ...base, phases: [{ key: 'a1', name: 'A', plannedStart: '2030-05-10T00:00:00Z', plannedEnd: '2030-05-01T00:00:00Z' }] }), 422, 'invalid_phase_schedule', 'phases.0.plannedEnd');
    // positions say b comes first but its dates are after a: out of order
    await rejected(() => post('/api/v1/releases', { ...base, phases: [
      { key: 'a1', name: 'A', position: 2, plannedStart: '2030-05-01T00:00:00Z', plannedEnd: '2030-05-02T00:00:00Z' },
      { key: 'b1', name: 'B', position: 1, plannedStart: '2030-05-03T00:00:00Z', plannedEnd: '2030-05-04T00:00:00Z' },
    ] }), 422, 'invalid_phase_schedule', 'phases.0.plannedStart');
    await rejected(() => post('/api/v1/releases', { ...base, phases: [{ key: 'a1', name: 'A' }], gates: [{ key: 'g1', name: 'G', afterPhase: 'uat' }] }), 422, 'invalid_plan', 'gates.0.afterPhase');
    await rejected(() => post('/api/v1/releases', { ...base, services: ['ledger', 'nope'] }), 422, 'unknown_reference', 'services');
    await rejected(() => post('/api/v1/releases', { ...base, phases: [{ key: 'a1', name: 'A', environments: ['mars'] }] }), 422, 'unknown_reference', 'phases.0.environments');
    await rejected(() => post('/api/v1/releases', { ...base, templateKey: 'train' }), 422, 'validation_failed', 'plannedStart');
    await rejected(() => post('/api/v1/releases', { ...base, templateKey: 'nope', plannedStart: '2030-01-01T00:00:00Z' }), 422, 'unknown_reference', 'templateKey');
    await rejected(() => post('/api/v1/releases', { ...base, type: 'project', parentId: 'pay-2026-1' }), 422, 'invalid_parent', 'parentId');
    await rejected(() => post('/api/v1/releases', { ...base, type: 'independent', parentId: 'train-2030-04' }), 422, 'invalid_parent', 'parentId');
    await rejected(() => post('/api/v1/releases', { ...base, key: 'pay-2026-1' }), 409, 'duplicate_key');
    await rejected(() => post('/api/v1/releases', { ...base, plannedStart: '2030-02-30T00:00:00Z' }), 400, 'validation_failed', 'plannedStart');
    await rejected(() => post('/api/v1/releases', { ...base, colour: 'red' }), 400, 'validation_failed', 'colour');
    await rejected(() => post('/api/v1/releases', { ...base, plannedStart: '8999-12-31T23:59:59-14:00' }), 400, 'validation_failed', 'plannedStart');
    await rejected(() => post('/api/v1/releases', base, 'developer'), 403, 'permission_denied');
    // an enterprise release with children must stay enterprise
    expect((await post('/api/v1/releases', { key: 'child-a', name: 'Child A', type: 'project', parentId: 'train-2030-04' })).statusCode).toBe(201);
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/train-2030-04', body: { type: 'project' } }), 422, 'invalid_type', 'type');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/child-a', body: { type: 'independent' } }), 422, 'invalid_parent', 'parentId');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1', body: { plannedEnd: '2030-01-01T00:00:00Z' } }), 422, 'invalid_dates', 'plannedEnd');
  });

  it('services in scope and environments of phases cannot be deleted, saying by which release', async () => {
    const svc = await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/services/checkout' }), 409, 'still_referenced');
    expect(svc.detail).toContain('pay-2026-1');
    const env = await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/environments/sit' }), 409, 'still_referenced');
    expect(env.detail).toContain('pay-2026-1');
  });

  it('PATCH is a merge patch guarded by If-Match; delete only in draft', async () => {
    const cur = await get('pay-2026-1');
    const res = await t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1', body: { description: null, services: [{ service: 'ledger', version: '1.0' }] }, headers: { 'if-match': `"${cur.version}"` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ description: '', services: [{ key: 'ledger', version: '1.0' }], version: cur.version + 1 });
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1', body: { name: 'x' }, headers: { 'if-match': `"${cur.version}"` } }), 412, 'precondition_failed');

    expect((await post('/api/v1/releases', { key: 'to-delete', name: 'Doomed', type: 'independent' })).statusCode).toBe(201);
    expect((await post('/api/v1/releases/to-delete/transitions', { to: 'planned' })).statusCode).toBe(200);
    await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/releases/to-delete' }), 409, 'release_not_draft');
    expect((await post('/api/v1/releases/to-delete/transitions', { to: 'draft' })).statusCode).toBe(200);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/releases/to-delete' })).statusCode).toBe(204);
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/releases/to-delete' }), 404, 'not_found');
    await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/releases/train-2030-04' }), 409, 'still_referenced');
  });

  it('manages phases: add, reorder-safe edits, overlap and date checks, delete guarded by gates', async () => {
    const add = await post('/api/v1/releases/pay-2026-1/phases', { key: 'prod', name: 'Production', plannedStart: '2030-03-25T00:00:00Z', plannedEnd: '2030-03-26T00:00:00Z', environments: ['prod'] });
    expect(add.statusCode, add.body).toBe(201);
    expect(add.json()).toMatchObject({ key: 'prod', position: 3, environments: [{ key: 'prod' }] });
    expect(add.headers.location).toMatch(/\/api\/v1\/releases\/[0-9a-f-]+\/phases\/[0-9a-f-]+$/);
    expect((await t.request({ method: 'GET', url: add.headers.location as string })).json()).toEqual(add.json());
    await rejected(() => post('/api/v1/releases/pay-2026-1/phases', { key: 'uat', name: 'UAT', plannedStart: '2030-03-15T00:00:00Z', plannedEnd: '2030-03-22T00:00:00Z' }), 422, 'invalid_phase_schedule', 'plannedStart');
    await rejected(() => post('/api/v1/releases/pay-2026-1/phases', { key: 'prod', name: 'Again' }), 409, 'duplicate_key');
    await rejected(() => post('/api/v1/releases/pay-2026-1/phases', { key: 'uat', name: 'UAT', position: 2 }), 422, 'position_taken', 'position');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/prod', body: { plannedEnd: '2030-03-24T00:00:00Z' } }), 422, 'invalid_phase_schedule', 'plannedEnd');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/prod', body: { plannedStart: '2030-03-15T00:00:00Z' } }), 422, 'invalid_phase_schedule', 'plannedStart');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/prod', body: { name: 'x' }, headers: { 'if-match': '"7"' } }), 412, 'precondition_failed');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/nope', body: { name: 'x' } }), 404, 'not_found');
    const edit = await t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/prod', body: { plannedEnd: '2030-03-27T00:00:00Z', environments: ['prod', 'sit'], actualStart: '2030-03-25T00:00:00Z' }, headers: { 'if-match': '"1"' } });
    expect(edit.statusCode, edit.body).toBe(200);
    expect(edit.json()).toMatchObject({ plannedEnd: '2030-03-27T00:00:00.000Z', actualStart: '2030-03-25T00:00:00.000Z', version: 2 });
    expect(edit.json().environments.map((e: { key: string }) => e.key)).toEqual(['sit', 'prod']);
    // a gate due at the end of its phase moves with it
    const sitEdit = await t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/phases/sit', body: { plannedEnd: '2030-03-21T00:00:00Z' } });
    expect(sitEdit.statusCode, sitEdit.body).toBe(200);
    expect((await get('pay-2026-1')).gates.find((g: { key: string }) => g.key === 'sit-exit').plannedAt).toBe('2030-03-21T00:00:00.000Z');
    const list = await t.request({ method: 'GET', url: '/api/v1/releases/pay-2026-1/phases', role: 'viewer' });
    expect(list.json().items.map((p: { key: string }) => p.key)).toEqual(['build', 'sit', 'prod']);
    await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/releases/pay-2026-1/phases/sit' }), 409, 'still_referenced');
    expect((await t.request({ method: 'DELETE', url: '/api/v1/releases/pay-2026-1/phases/prod' })).statusCode).toBe(204);
    expect((await get('pay-2026-1')).phases.map((p: { key: string }) => p.key)).toEqual(['build', 'sit']);
  });

  it('manages gate definitions; a gate after a missing phase is 422; push-down copies gates into child releases once', async () => {
    await rejected(() => post('/api/v1/releases/pay-2026-1/gates', { key: 'uat-exit', name: 'UAT exit', afterPhase: 'uat' }), 422, 'unknown_reference', 'afterPhase');
    await rejected(() => t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/gates/sit-exit', body: { afterPhase: 'uat' } }), 422, 'unknown_reference', 'afterPhase');
    await rejected(() => post('/api/v1/releases/pay-2026-1/gates', { key: 'sit-exit', name: 'Again' }), 409, 'duplicate_key');
    const add = await post('/api/v1/releases/pay-2026-1/gates', { key: 'build-exit', name: 'Build exit', afterPhase: 'build', criteria: [{ kind: 'no_open_blockers' }] });
    expect(add.statusCode, add.body).toBe(201);
    expect(add.json()).toMatchObject({ afterPhase: 'build', plannedAt: '2030-03-10T00:00:00.000Z', criteria: [{ kind: 'no_open_blockers' }] });
    const patched = await t.request({ method: 'PATCH', url: '/api/v1/releases/pay-2026-1/gates/build-exit', body: { afterPhase: 'sit', criteria: [{ kind: 'custom_check', config: { min: 98 } }] }, headers: { 'if-match': `"${add.json().version}"` } });
    expect(patched.statusCode, patched.body).toBe(200);
    // evaluated in the same transaction: no blockers passed the first criterion; the new custom check waits for a report
    expect(add.json().status).toBe('passed');
    expect(patched.json()).toMatchObject({ afterPhase: 'sit', plannedAt: '2030-03-21T00:00:00.000Z', status: 'pending', criteria: [{ kind: 'custom_check', config: { min: 98 } }] });
    expect(patched.json().version).toBeGreaterThan(add.json().version);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/releases/pay-2026-1/gates/build-exit' })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: '/api/v1/releases/pay-2026-1/gates' })).json().items.map((g: { key: string }) => g.key)).toEqual(['sit-exit']);

    // push-down from the April train to its project releases
    expect((await post('/api/v1/releases', { key: 'child-b', name: 'Child B', type: 'project', parentId: 'train-2030-04', phases: [{ key: 'sit', name: 'SIT', plannedStart: '2030-04-02T00:00:00Z', plannedEnd: '2030-04-09T00:00:00Z' }] })).statusCode).toBe(201);
    const first = await post('/api/v1/releases/train-2030-04/gates/go-live/push-down', undefined);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ pushed: ['child-a', 'child-b'], alreadyPresent: [], skipped: [] });
    const train = await get('train-2030-04');
    const source = train.gates.find((g: { key: string }) => g.key === 'go-live');
    const childB = await get('child-b');
    expect(childB.gates).toMatchObject([{ key: 'go-live', afterPhase: 'sit', plannedAt: '2030-04-09T00:00:00.000Z', pushedFromGateId: source.id, quorum: 2, criteria: [{ kind: 'manual_signoff' }] }]);
    expect((await get('child-a')).gates).toMatchObject([{ key: 'go-live', afterPhase: null, plannedAt: source.plannedAt, pushedFromGateId: source.id }]);
    const again = await rejectedless(() => post('/api/v1/releases/train-2030-04/gates/go-live/push-down', undefined));
    expect(again.json()).toEqual({ pushed: [], alreadyPresent: ['child-a', 'child-b'], skipped: [] });
    await rejected(() => post('/api/v1/releases/pay-2026-1/gates/sit-exit/push-down', undefined), 422, 'not_enterprise');
  });

  /** A request that succeeds but must write nothing. */
  async function rejectedless(send: () => Promise<{ statusCode: number; body: string }>) {
    const before = await fingerprint(db());
    const res = await send();
    expect(res.statusCode, res.body).toBe(200);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return res as never as { json(): unknown };
  }

  it('moves through the status workflow, recording dates, audit and events; refuses what the rules do not allow', async () => {
    const next = await t.request({ method: 'GET', url: '/api/v1/releases/pay-2026-1/next-statuses', role: 'developer' });
    expect(next.json()).toEqual({ status: 'draft', next: [{ status: 'canceled', roles: ['admin', 'release_manager'], allowed: false }, { status: 'planned', roles: ['admin', 'release_manager'], allowed: false }] });
    const p = await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'released' }), 409, 'state_transition_not_allowed');
    expect(p.allowed).toEqual(['canceled', 'planned']);
    await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'draft' }), 409, 'state_transition_not_allowed');
    await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'planned' }, 'developer'), 403, 'permission_denied');
    await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'flying' }), 400, 'validation_failed', 'to');
    await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'planned' }, 'release_manager', { 'if-match': '"1"' }), 412, 'precondition_failed');

    const planned = await post('/api/v1/releases/pay-2026-1/transitions', { to: 'planned', reason: 'scope agreed' });
    expect(planned.statusCode, planned.body).toBe(200);
    expect(planned.json().status).toBe('planned');
    expect(planned.json().plannedAt).not.toBeNull();
    const started = (await post('/api/v1/releases/pay-2026-1/transitions', { to: 'in_progress' })).json();
    expect(started.actualStart).not.toBeNull();
    const released = (await post('/api/v1/releases/pay-2026-1/transitions', { to: 'released' })).json();
    expect(released).toMatchObject({ status: 'released', health: { status: 'on_track' } });
    expect(released.actualEnd).not.toBeNull();
    const q = await rejected(() => post('/api/v1/releases/pay-2026-1/transitions', { to: 'canceled' }), 409, 'state_transition_not_allowed');
    expect(q.allowed).toEqual([]);
    const audit = await db().selectFrom('audit_events').select(['action', 'diff']).where('entity_id', '=', released.id).where('action', '=', 'release.transitioned').orderBy('seq').execute();
    expect(audit.map((a) => (a.diff as { after: { status: string } }).after.status)).toEqual(['planned', 'in_progress', 'released']);
    expect(JSON.stringify(audit[0]!.diff)).toContain('scope agreed');
    const events = await db().selectFrom('pgboss.job' as never).select('data' as never).where('name' as never, '=', 'domain-events' as never).execute() as { data: { type: string; entityId: string } }[];
    expect(events.filter((e) => e.data.entityId === released.id && e.data.type === 'release.transitioned')).toHaveLength(3);
  });

  it('transition rules are configurable per release type by admins, validated, and enforced per role', async () => {
    const rules = (await t.request({ method: 'GET', url: '/api/v1/release-transition-rules', role: 'viewer' })).json().items;
    expect(rules).toHaveLength(21);
    await rejected(() => t.request({ method: 'PUT', url: '/api/v1/release-transition-rules', role: 'release_manager', body: { items: [] } }), 403, 'permission_denied');
    await rejected(() => t.request({ method: 'PUT', url: '/api/v1/release-transition-rules', body: { items: [{ releaseType: 'project', from: 'released', to: 'draft', roles: ['admin'] }] } }), 422, 'invalid_rules', 'items.0.from');
    await rejected(() => t.request({ method: 'PUT', url: '/api/v1/release-transition-rules', body: { items: [{ releaseType: 'project', from: 'draft', to: 'planned', roles: ['wizard'] }] } }), 422, 'invalid_rules', 'items.0.roles.0');
    await rejected(() => t.request({ method: 'PUT', url: '/api/v1/release-transition-rules', body: { items: [{ releaseType: 'project', from: 'draft', to: 'draft', roles: ['admin'] }] } }), 422, 'invalid_rules', 'items.0.to');

    const projectRules = rules.filter((r: { releaseType: string }) => r.releaseType === 'project')
      .map((r: { from: string; to: string; roles: string[] }) => (r.from === 'draft' && r.to === 'planned' ? { ...r, roles: ['admin'] } : r));
    const put = await t.request({ method: 'PUT', url: '/api/v1/release-transition-rules', body: { items: projectRules } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().items).toHaveLength(21);
    const p = await rejected(() => post('/api/v1/releases/child-a/transitions', { to: 'planned' }), 403, 'transition_not_permitted');
    expect(p).toMatchObject({ roles: ['admin'], allowed: ['canceled'] });
    // other types keep theirs
    expect((await post('/api/v1/releases/train-2030-04/transitions', { to: 'planned' })).statusCode).toBe(200);
    expect((await post('/api/v1/releases/child-a/transitions', { to: 'planned' }, 'admin')).statusCode).toBe(200);
  });

  it('rejects dependency cycles naming the cycle, and warns when dates contradict a dependency', async () => {
    expect((await post('/api/v1/releases', { key: 'dep-a', name: 'A', type: 'independent', plannedStart: '2030-06-01T00:00:00Z', plannedEnd: '2030-06-10T00:00:00Z' })).statusCode).toBe(201);
    expect((await post('/api/v1/releases', { key: 'dep-b', name: 'B', type: 'independent', plannedEnd: '2030-06-20T00:00:00Z', dependsOn: ['dep-a'] })).statusCode).toBe(201);
    expect((await post('/api/v1/releases', { key: 'dep-c', name: 'C', type: 'independent', dependsOn: ['dep-b'] })).statusCode).toBe(201);
    const put = (ref: string, dependsOn: string[], headers: Record<string, string> = {}) => t.request({ method: 'PUT', url: `/api/v1/releases/${ref}/dependencies`, body: { dependsOn }, headers });
    const p = await rejected(() => put('dep-a', ['dep-c']), 422, 'dependency_cycle', 'dependsOn');
    expect(p.detail).toContain('dep-a → dep-c → dep-b → dep-a');
    await rejected(() => put('dep-a', ['dep-a']), 422, 'dependency_cycle');
    await rejected(() => put('dep-a', ['nope']), 422, 'unknown_reference', 'dependsOn');
    await rejected(() => put('dep-a', ['dep-b'], { 'if-match': '"99"' }), 412, 'precondition_failed');
    // B already needs A: A needing B closes a cycle
    await rejected(() => put('dep-a', ['dep-b']), 422, 'dependency_cycle');
    // C needs B, but C would end before B: a warning, not an error
    const ok = await put('dep-c', ['dep-a', 'dep-b']);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().dependsOn.map((d: { key: string }) => d.key)).toEqual(['dep-a', 'dep-b']);
    expect((await t.request({ method: 'PATCH', url: '/api/v1/releases/dep-c', body: { plannedEnd: '2030-06-15T00:00:00Z' } })).json().warnings).toEqual([
      expect.objectContaining({ code: 'dependency_ends_later', message: expect.stringContaining('dep-b') }),
    ]);
    await rejected(() => t.request({ method: 'DELETE', url: '/api/v1/releases/dep-b' }), 409, 'still_referenced');
  });

  it('two concurrent dependency edits cannot close a cycle together', async () => {
    for (const key of ['race-a', 'race-b']) expect((await post('/api/v1/releases', { key, name: key, type: 'independent' })).statusCode).toBe(201);
    const put = (ref: string, dependsOn: string[]) => t.request({ method: 'PUT', url: `/api/v1/releases/${ref}/dependencies`, body: { dependsOn } });
    const results = await Promise.all([put('race-a', ['race-b']), put('race-b', ['race-a'])]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 422]);
    expect(results.find((r) => r.statusCode === 422)!.json().code).toBe('dependency_cycle');
  });

  it('computes health from dates, gates and scope progress, with reasons, on get and list', async () => {
    const res = await post('/api/v1/releases', { key: 'health-1', name: 'Health', type: 'independent', ownerTeamId: teamId, plannedStart: daysFromNow(-10), plannedEnd: daysFromNow(10),
      phases: [{ key: 'build', name: 'Build', plannedStart: daysFromNow(-10), plannedEnd: daysFromNow(-2) }], gates: [{ key: 'g1', name: 'Build exit', afterPhase: 'build' }] });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    for (const status of ['todo', 'todo', 'in_progress', 'done']) {
      await db().insertInto('work_items').values({ id: newId(), source: 'jira', external_key: `H-${newId()}`, type: 'story', title: 'x', status_category: status as 'todo', status: '', blocking: false, release_id: id, updated_at: new Date() }).execute();
    }
    const health = (await get('health-1')).health;
    expect(health.status).toBe('at_risk');
    expect(health.reasons.map((r: { code: string }) => r.code).sort()).toEqual(['gate_overdue', 'phase_overdue', 'scope_behind']);
    const late = await t.request({ method: 'PATCH', url: '/api/v1/releases/health-1', body: { plannedStart: daysFromNow(-20), plannedEnd: daysFromNow(-1) } });
    expect(late.json().health.status).toBe('late');
    const list = await t.request({ method: 'GET', url: '/api/v1/releases?team=payments&status=draft', role: 'viewer' });
    expect(list.json().items.find((r: { key: string }) => r.key === 'health-1').health.status).toBe('late');
  });

  it('lists with filters and stable cursor pagination', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request({ method: 'GET', url: `/api/v1/releases?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      all.push(...res.json().items.map((r: { key: string }) => r.key));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(Number((await db().selectFrom('releases').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n));
    const keys = async (q: string) => (await t.request({ method: 'GET', url: `/api/v1/releases?${q}`, role: 'viewer' })).json().items.map((r: { key: string }) => r.key);
    expect(await keys('parent=train-2030-04')).toEqual(['child-a', 'child-b']);
    expect(await keys('type=enterprise')).toEqual(['train-2030-04']);
    expect(await keys('q=dep-')).toEqual(['dep-a', 'dep-b', 'dep-c']);
    expect(await keys('team=nobody')).toEqual([]);
    expect(await keys('sort=-name&type=project')).toEqual(['child-b', 'child-a']);
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/releases?status=bogus' }), 400, 'validation_failed');
  });
});
