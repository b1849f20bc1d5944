import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import type { ApprovalGate, ChangeSnapshot } from '../../src/server/modules/changes/change-contracts.js';
import { createChangesRepo } from '../../src/server/modules/changes/changes.repo.js';
import { createChangesService } from '../../src/server/modules/changes/changes.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): any };

describe.each(targets)('changes API on %s', (kind) => {
  let t: TestApp;
  let teamId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const [key, tier, order] of [['dev', 'development', 1], ['prod', 'production', 3]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key.toUpperCase(), tier, order } })).statusCode).toBe(201);
    }
    teamId = (await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'payments', name: 'Payments' } })).json().id;
    for (const [key, tier] of [['ledger', 1], ['checkout', 2]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/services', body: { key, name: key, tier } })).statusCode).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const post = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<Res> => t.request({ method: 'POST', url, body, role: 'developer', headers }) as never;
  const patch = (ref: string, body: unknown, headers: Record<string, string> = {}): Promise<Res> => t.request({ method: 'PATCH', url: `/api/v1/changes/${ref}`, body, role: 'developer', headers }) as never;
  const get = async (ref: string) => (await t.request({ method: 'GET', url: `/api/v1/changes/${ref}`, role: 'viewer' })).json();
  const move = (ref: string, to: unknown, extra: Record<string, unknown> = {}) => post(`/api/v1/changes/${ref}/transitions`, { to, ...extra });
  async function rejected(send: () => Promise<Res>, status: number, code: string, path?: string) {
    const before = await fingerprint(db());
    const p = expectProblem((await send()) as never, status, code);
    if (path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return p;
  }
  const normal = {
    type: 'normal', title: 'Upgrade ledger database', description: 'Postgres 15 → 16', justification: 'End of support',
    implementationPlan: 'pg_upgrade', backoutPlan: 'restore snapshot', testPlan: 'smoke tests', impact: 'medium',
    plannedStart: '2030-06-01T20:00:00Z', plannedEnd: '2030-06-01T22:00:00Z', services: ['ledger'], environments: ['prod'],
  };

  it('creates a change with a number from the sequence, state New, risk, history, audit and event', async () => {
    const res = await post('/api/v1/changes', { ...normal, assignmentTeam: 'payments' });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c.number).toMatch(/^CHG\d{7}$/);
    expect(res.headers.location).toBe(`/api/v1/changes/${c.id}`);
    expect(c).toMatchObject({
      type: 'normal', state: { name: 'new', value: -5 }, services: [{ key: 'ledger' }], environments: [{ key: 'prod', tier: 'production' }],
      assignmentTeam: { id: teamId, key: 'payments' }, requestedBy: { id: t.users.developer.id }, approvalRound: 1, version: 1, tasks: [],
      securityImpact: null, release: null, template: null,
    });
    expect(c.risk.level).toMatch(/^(low|moderate|high|very_high)$/);
    expect(typeof c.risk.score).toBe('number');
    expect(c.risk.factors.length).toBeGreaterThan(0);
    expect(c.conflictsCheckedAt).not.toBeNull();
    expect(await get(c.number)).toEqual(c);
    expect(await get(c.number.toLowerCase())).toEqual(c);
    const hist = (await t.request({ method: 'GET', url: `/api/v1/changes/${c.id}/history` })).json();
    expect(hist.items).toMatchObject([{ from: null, to: { name: 'new', value: -5 }, actor: { id: t.users.developer.id } }]);
    const audit = await db().selectFrom('audit_events').select('action').where('entity_id', '=', c.id).execute();
    expect(audit.map((a) => a.action)).toEqual(['change.created']);
  });

  it('20 concurrent creates get 20 distinct, increasing numbers', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => post('/api/v1/changes', { type: 'normal', title: `Concurrent ${i}` })));
    for (const r of results) expect(r.statusCode, r.body).toBe(201);
    const numbers = results.map((r) => r.json().number as string);
    expect(new Set(numbers).size).toBe(20);
    const values = numbers.map((n) => Number(n.slice(3))).sort((a, b) => a - b);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]!);
    // ordered by creation: the numbers follow the order the rows were committed in
    const rows = await db().selectFrom('change_requests').select(['number', 'created_at']).where('title', 'like', 'Concurrent %').orderBy('number').execute();
    expect(rows.map((r) => r.number)).toEqual([...numbers].sort());
  });

  it('refuses bad input with a clear 4xx and changes nothing', async () => {
    await rejected(() => post('/api/v1/changes', { ...normal, type: 'urgent' }), 400, 'validation_failed', 'type');
    await rejected(() => post('/api/v1/changes', { type: 'emergency', title: 'Hotfix' }), 422, 'validation_failed', 'emergencyReason');
    await rejected(() => post('/api/v1/changes', { ...normal, emergencyReason: 'why not' }), 422, 'validation_failed', 'emergencyReason');
    await rejected(() => post('/api/v1/changes', { ...normal, services: ['nope'] }), 422, 'invalid_reference', 'services');
    await rejected(() => post('/api/v1/changes', { ...normal, environments: ['mars'] }), 422, 'invalid_reference', 'environments');
    await rejected(() => post('/api/v1/changes', { ...normal, assignmentTeam: 'ghosts' }), 422, 'invalid_reference', 'assignmentTeam');
    await rejected(() => post('/api/v1/changes', { ...normal, release: 'no-such-release' }), 422, 'invalid_reference', 'release');
    await rejected(() => post('/api/v1/changes', { ...normal, plannedEnd: '2030-06-01T19:00:00Z' }), 422, 'invalid_dates', 'plannedEnd');
    await rejected(() => post('/api/v1/changes', { type: 'normal' }), 422, 'validation_failed', 'title');
    await rejected(() => post('/api/v1/changes', { ...normal, colour: 'red' }), 400, 'validation_failed');
    await rejected(() => post('/api/v1/changes', { type: 'standard', title: 'No template' }), 422, 'validation_failed', 'templateKey');
    await rejected(() => post('/api/v1/changes', { ...normal, templateKey: 'whatever' }), 422, 'validation_failed', 'templateKey');
    await rejected(() => t.request({ method: 'POST', url: '/api/v1/changes', body: normal, role: 'viewer' }) as never, 403, 'permission_denied');
    expect((await t.request({ method: 'DELETE', url: '/api/v1/changes/CHG0000001' })).statusCode).toBe(404);
  });

  it('enforces the normal path: 409 naming the allowed next states, 422 naming missing fields', async () => {
    const c = (await post('/api/v1/changes', { type: 'normal', title: 'Rotate keys', environments: ['prod'], services: ['checkout'] })).json();
    const skip = await rejected(() => move(c.id, 'authorize'), 409, 'state_transition_not_allowed');
    expect(skip.allowedNextStates).toEqual([{ name: 'assess', value: -4 }, { name: 'canceled', value: 4 }]);
    await rejected(() => move(c.id, 'closed'), 409, 'state_transition_not_allowed');
    await rejected(() => move(c.id, 'bogus'), 400, 'validation_failed', 'to');
    await rejected(() => move(c.id, 7), 400, 'validation_failed', 'to');
    const missing = await rejected(() => move(c.id, -4), 422, 'transition_requirements_not_met');
    expect(missing.errors!.map((e) => e.path).sort()).toEqual(['assignmentTeam', 'description', 'justification']);

    const next = (await t.request({ method: 'GET', url: `/api/v1/changes/${c.number}/next-states` })).json();
    expect(next.state).toEqual({ name: 'new', value: -5 });
    expect(next.next).toMatchObject([{ name: 'assess', value: -4, ready: false }, { name: 'canceled', value: 4, ready: true, missing: [] }]);

    const edited = await patch(c.id, { assignmentTeam: 'payments', description: 'New signing keys', justification: 'Yearly rotation' }, { 'if-match': '"1"' });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().version).toBe(2);
    await rejected(() => patch(c.id, { title: 'stale' }, { 'if-match': '"1"' }), 412, 'precondition_failed');
    const assess = await move(c.number, '-4', { comment: 'ready for assessment' });
    expect(assess.statusCode, assess.body).toBe(200);
    expect(assess.json().state).toEqual({ name: 'assess', value: -4 });

    // production in scope: security impact; normal: backout plan
    const authMissing = await rejected(() => move(c.id, 'authorize'), 422, 'transition_requirements_not_met');
    expect(authMissing.errors!.map((e) => e.path).sort()).toEqual(['backoutPlan', 'securityImpact']);
    expect((await patch(c.id, { backoutPlan: 'restore old keys', securityImpact: { level: 'high', notes: 'key material' }, plannedStart: '2030-08-01T08:00:00Z', plannedEnd: '2030-08-01T09:00:00Z' })).statusCode).toBe(200);
    const auth = await move(c.id, 'authorize');
    expect(auth.statusCode, auth.body).toBe(200);

    // no approvals recorded: Scheduled waits, saying for what
    const pending = await rejected(() => move(c.id, 'scheduled'), 409, 'approvals_pending');
    expect(pending.detail).toMatch(/needs 1 more approval/);
    const n2 = (await t.request({ method: 'GET', url: `/api/v1/changes/${c.id}/next-states` })).json();
    expect(n2.next[0]).toMatchObject({ name: 'scheduled', ready: false });
    expect(n2.next[0].missing.map((m: { path: string }) => m.path)).toEqual(['approvals']);

    const hist = (await t.request({ method: 'GET', url: `/api/v1/changes/${c.id}/history`, role: 'viewer' })).json();
    expect(hist.items.map((h: { to: { name: string } }) => h.to.name)).toEqual(['new', 'assess', 'authorize']);
    expect(hist.items[1]).toMatchObject({ from: { name: 'new', value: -5 }, comment: 'ready for assessment' });
    const audit = await db().selectFrom('audit_events').select('action').where('entity_id', '=', c.id).orderBy('seq').execute();
    expect(audit.map((a) => a.action).filter((a) => a.startsWith('change.'))).toEqual(['change.created', 'change.updated', 'change.state_changed', 'change.updated', 'change.state_changed']);

    // cancel from Authorize; afterwards nothing moves or changes
    expect((await move(c.id, 'canceled', { comment: 'superseded' })).statusCode).toBe(200);
    await rejected(() => patch(c.id, { title: 'too late' }), 409, 'change_not_editable');
    const fromCanceled = await rejected(() => move(c.id, 'new'), 409, 'state_transition_not_allowed');
    expect(fromCanceled.allowedNextStates).toEqual([]);
  });

  describe('with an approval gate under test control', () => {
    const opened: ChangeSnapshot[] = [];
    let met = false;
    const gate: ApprovalGate = {
      async openRound(_tx, change) { opened.push(change); },
      async status(_tx, change) {
        return { round: change.approvalRound, met, rejected: false, requirements: [{ groupId: 'g', groupKey: 'cab', quorum: 2, needed: 2, approvals: met ? 2 : 1 }] };
      },
    };
    const svc = () => createChangesService({
      db: db(), repo: createChangesRepo(), approvals: gate, assessor: t.sg.services.changeAssessor, governor: t.sg.services.changeGovernor, audit: t.sg.services.audit, outbox: t.sg.queue, clock: { now: () => new Date() },
    });
    const actor = () => ({ ...systemActor('test'), id: t.users.change_manager.id, name: 'CM', roles: ['change_manager' as const] });

    it('normal change end to end; a material edit in Scheduled goes back to Authorize with a new round; Review needs actuals and close code', async () => {
      const s = svc();
      const c = await s.create(actor(), { ...normal, type: 'normal', assignmentTeam: 'payments', securityImpact: { level: 'low' } } as never);
      await s.transition(actor(), c.id, { to: 'assess' });
      await s.transition(actor(), c.id, { to: 'authorize' });
      expect(opened.map((o) => [o.id, o.approvalRound, o.state])).toEqual([[c.id, 1, -3]]);
      await expect(s.transition(actor(), c.id, { to: 'scheduled' })).rejects.toMatchObject({ code: 'approvals_pending' });
      met = true;
      const sched = await s.transition(actor(), c.number, { to: 'scheduled' });
      expect(sched.state.name).toBe('scheduled');

      // a no-op edit changes nothing; a material one restarts approvals
      expect((await s.update(actor(), c.id, { plannedStart: normal.plannedStart })).version).toBe(sched.version);
      met = false;
      const edited = await s.update(actor(), c.id, { plannedEnd: '2030-06-01T23:00:00Z' });
      expect(edited).toMatchObject({ state: { name: 'authorize' }, approvalRound: 2 });
      expect(opened.at(-1)).toMatchObject({ id: c.id, approvalRound: 2 });
      await expect(s.transition(actor(), c.id, { to: 'scheduled' })).rejects.toMatchObject({ code: 'approvals_pending' });
      met = true;
      await s.transition(actor(), c.id, { to: 'scheduled' });
      await s.transition(actor(), c.id, { to: 'implement' });
      await expect(s.update(actor(), c.id, { services: ['checkout'] })).rejects.toMatchObject({ code: 'field_not_editable' });
      await expect(s.transition(actor(), c.id, { to: 'review' })).rejects.toMatchObject({ code: 'transition_requirements_not_met' });
      const review = await s.transition(actor(), c.id, { to: 'review', actualStart: '2030-06-01T20:05:00Z', actualEnd: '2030-06-01T21:40:00Z', closeCode: 'successful' });
      expect(review).toMatchObject({ state: { name: 'review', value: 0 }, closeCode: 'successful', actualEnd: '2030-06-01T21:40:00.000Z' });
      await expect(s.transition(actor(), c.id, { to: 'canceled' })).rejects.toMatchObject({ code: 'state_transition_not_allowed' });
      const closed = await s.transition(actor(), c.id, { to: 'closed' });
      expect(closed.state).toEqual({ name: 'closed', value: 3 });
      // the outcome is recorded on each service link, where failure rates are counted
      const links = await db().selectFrom('change_services').select(['closed_at', 'unsuccessful']).where('change_id', '=', c.id).execute();
      expect(links.length).toBeGreaterThan(0);
      expect(links.map((l) => [l.closed_at?.toISOString(), l.unsuccessful])).toEqual(links.map(() => ['2030-06-01T21:40:00.000Z', false]));
      const hist = await s.history(actor(), c.id);
      expect(hist.items.map((h) => h.to.name)).toEqual(['new', 'assess', 'authorize', 'scheduled', 'authorize', 'scheduled', 'implement', 'review', 'closed']);
    });

    it('an emergency change cannot be closed before its post-implementation review is done', async () => {
      const s = svc();
      met = true;
      const c = await s.create(actor(), { type: 'emergency', title: 'Roll back the bad config', emergencyReason: 'checkout down', backoutPlan: 'revert', plannedStart: '2030-08-01T10:00:00Z', plannedEnd: '2030-08-01T11:00:00Z' } as never);
      for (const to of ['authorize', 'scheduled', 'implement'] as const) await s.transition(actor(), c.id, { to });
      await s.transition(actor(), c.id, { to: 'review', actualStart: '2030-08-01T10:02:00Z', actualEnd: '2030-08-01T10:20:00Z', closeCode: 'successful' });
      const refused = await s.transition(actor(), c.id, { to: 'closed' }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'transition_requirements_not_met', errors: [{ path: 'tasks' }] });
      expect((await s.nextStates(actor(), c.id)).next).toMatchObject([{ name: 'closed', ready: false, missing: [{ path: 'tasks' }] }]);
      expect((await s.get(actor(), c.id)).state.name).toBe('review');
      await s.completeTask(actor(), c.id, c.tasks[0]!.id);
      expect((await s.transition(actor(), c.id, { to: 'closed' })).state.name).toBe('closed');
    });

    it('the workflow loads with a lock and returns a rejected change to New; re-entering Authorize opens a new round', async () => {
      const s = svc();
      met = false;
      const c = await s.create(actor(), { type: 'emergency', title: 'Hotfix', emergencyReason: 'outage', backoutPlan: 'revert', services: ['ledger'] } as never);
      await s.transition(actor(), c.id, { to: 'authorize' });
      await db().transaction().execute(async (tx) => {
        const snap = await s.workflow.load(tx, c.id, { forUpdate: true });
        expect(snap).toMatchObject({ id: c.id, number: c.number, type: 'emergency', state: -3, approvalRound: 1, workItemCount: 0 });
        await s.workflow.returnToNew(tx, snap!, actor(), 'rejected by CAB: no test evidence');
      });
      const back = await s.get(actor(), c.id);
      expect(back).toMatchObject({ state: { name: 'new' }, version: c.version + 2 });
      const again = await s.transition(actor(), c.id, { to: 'authorize' });
      expect(again.approvalRound).toBe(2);
      expect(opened.at(-1)).toMatchObject({ id: c.id, approvalRound: 2 });
      const hist = await s.history(actor(), c.id);
      expect(hist.items[2]).toMatchObject({ from: { name: 'authorize' }, to: { name: 'new' }, comment: 'rejected by CAB: no test evidence' });
    });
  });

  it('emergency changes get a post-implementation review task that can be completed once', async () => {
    const res = await post('/api/v1/changes', { type: 'emergency', title: 'Stop the bleeding', emergencyReason: 'payments failing', plannedStart: '2030-07-01T10:00:00Z', plannedEnd: '2030-07-01T11:00:00Z' });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c.emergencyReason).toBe('payments failing');
    expect(c.tasks).toMatchObject([{ kind: 'post_implementation_review', status: 'open', dueAt: '2030-07-06T11:00:00.000Z' }]);
    const skip = await rejected(() => move(c.id, 'assess'), 409, 'state_transition_not_allowed');
    expect(skip.allowedNextStates).toEqual([{ name: 'authorize', value: -3 }, { name: 'canceled', value: 4 }]);
    const done = await post(`/api/v1/changes/${c.number}/tasks/${c.tasks[0].id}/complete`, undefined as never);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().tasks[0]).toMatchObject({ status: 'done' });
    expect(done.json().tasks[0].completedAt).not.toBeNull();
    await rejected(() => post(`/api/v1/changes/${c.id}/tasks/${c.tasks[0].id}/complete`, undefined as never), 409, 'task_not_open');
    await rejected(() => post(`/api/v1/changes/${c.id}/tasks/00000000-0000-7000-8000-000000000000/complete`, undefined as never), 404, 'not_found');
  });

  it('risk override keeps the computed risk beside it and needs a reason; conflicts can be checked again', async () => {
    const c = (await post('/api/v1/changes', { ...normal, title: 'Override me' })).json();
    await rejected(() => post(`/api/v1/changes/${c.id}/risk/override`, { level: 'low' }), 400, 'validation_failed', 'reason');
    await rejected(() => post(`/api/v1/changes/${c.id}/risk/override`, { level: 'low', reason: '   ' }), 400, 'validation_failed', 'reason');
    await rejected(() => post(`/api/v1/changes/${c.id}/risk/override`, { level: 'extreme', reason: 'x' }), 400, 'validation_failed', 'level');
    const res = await post(`/api/v1/changes/${c.id}/risk/override`, { level: 'very_high', reason: 'card data in scope' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().risk).toMatchObject({ level: c.risk.level, score: c.risk.score, effectiveLevel: 'very_high', override: { level: 'very_high', reason: 'card data in scope', by: t.users.developer.id } });
    const audit = await db().selectFrom('audit_events').select(['action', 'diff']).where('entity_id', '=', c.id).where('action', '=', 'change.risk_overridden').execute();
    expect(audit).toHaveLength(1);
    const check = await post(`/api/v1/changes/${c.id}/conflicts/check`, undefined as never);
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json().version).toBe(res.json().version + 1);
    expect(check.json().risk.override).toMatchObject({ level: 'very_high' });
    // an overlapping change on the same service and environment is a conflict
    const other = (await post('/api/v1/changes', { ...normal, title: 'Overlapping' })).json();
    expect(other.conflicts.some((x: { with: { id: string } }) => x.with.id === c.id), JSON.stringify(other.conflicts)).toBe(true);
  });

  it('lists with cursor pagination and filters', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request({ method: 'GET', url: `/api/v1/changes?limit=7${cursor ? `&cursor=${cursor}` : ''}`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      all.push(...res.json().items.map((c: { number: string }) => c.number));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    const count = await db().selectFrom('change_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(all.length).toBe(Number(count.n));
    const list = async (qs: string) => (await t.request({ method: 'GET', url: `/api/v1/changes?${qs}`, role: 'viewer' })).json().items as { number: string; type: string; state: { name: string }; title: string }[];
    expect((await list('type=emergency')).every((c) => c.type === 'emergency')).toBe(true);
    expect((await list('state=canceled')).map((c) => c.state.name)).toEqual(['canceled']);
    expect(await list('state=4')).toEqual(await list('state=canceled'));
    expect((await list('q=rotate')).map((c) => c.title)).toEqual(['Rotate keys']);
    expect((await list('service=checkout&environment=prod')).map((c) => c.title)).toEqual(['Rotate keys']);
    expect(await list('service=nope')).toEqual([]);
    expect((await list('sort=-number&limit=3')).map((c) => c.number)).toEqual([...all].reverse().slice(0, 3));
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/changes?state=limbo' }), 400, 'validation_failed');
  });

  it('a service or environment used by a change cannot be deleted', async () => {
    const p = expectProblem(await t.request({ method: 'DELETE', url: '/api/v1/services/ledger' }), 409, 'still_referenced');
    expect(p.detail).toMatch(/CHG\d{7}/);
    expectProblem(await t.request({ method: 'DELETE', url: '/api/v1/environments/prod' }), 409, 'still_referenced');
  });
});
