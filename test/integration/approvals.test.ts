import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import type { ChangeStateValue, ChangeType, RiskLevel } from '../../src/server/db/schema.js';
import { systemActor, type Role } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint, type TableName } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const HOUR = 3_600_000;
const AUTHORIZE = -3 as ChangeStateValue;

describe.each(targets)('approvals API on %s', (kind) => {
  let t: TestApp;
  let n = 0;
  const people: Record<string, { id: string; email: string; token: string }> = {};

  /** A person with one role and a token. */
  async function person(name: string, role: Role) {
    const email = `${name}-${kind}@approvals.test`;
    const user = await t.sg.services.identity.createUser(systemActor('test'), { email, name, roles: [role] });
    const { secret } = await t.sg.services.identity.createToken({ ...systemActor('test'), id: user.id }, { name: 'test', expiresInDays: 1, userId: user.id });
    people[name] = { id: user.id, email, token: secret };
  }

  beforeAll(async () => {
    t = await startTestApp(kind);
    await person('rita', 'change_manager'); // requests changes
    await person('adam', 'admin');
    await person('sam', 'approver'); // assignee
    for (const a of ['ann', 'ben', 'cem']) await person(a, 'approver');
    await person('dora', 'approver'); // a delegate, in no group
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const as = (who: string) => people[who]!.token;
  const req = (method: string, url: string, who: string, body?: unknown, headers: Record<string, string> = {}) => t.request({ method, url, token: as(who), body, headers });
  const admin = (method: string, url: string, body?: unknown) => t.request({ method, url, role: 'admin', body });

  async function group(members: string[], key = `grp-${kind}-${n++}`) {
    const res = await admin('POST', '/api/v1/approver-groups', { key, name: key.toUpperCase(), members: members.map((m) => people[m]!.email) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; key: string };
  }

  /** A change inserted directly (number, state, people, risk, plan). */
  async function change(o: { requester?: string; assignee?: string; state?: ChangeStateValue; type?: ChangeType; risk?: RiskLevel | null; start?: string | null } = {}) {
    const id = newId();
    const number = `CHG${String(9_000_000 + Math.floor(Math.random() * 999_999)).padStart(7, '0')}`;
    await db().insertInto('change_requests').values({
      id, number, type: o.type ?? 'normal', state: o.state ?? AUTHORIZE, title: `Change ${number}`,
      requested_by: people[o.requester ?? 'rita']!.id, assignee_id: o.assignee ? people[o.assignee]!.id : null,
      risk_level: o.risk ?? null, planned_start: o.start ? new Date(o.start) : null, planned_end: o.start ? new Date(Date.parse(o.start) + HOUR) : null,
      created_at: new Date(), updated_at: new Date(),
    }).execute();
    return { id, number };
  }

  async function rules(changeRef: string, list: { group: string; quorum: number | null; dueAt?: string }[]) {
    const res = await t.request({ method: 'PUT', url: `/api/v1/changes/${changeRef}/approval-rules`, role: 'change_manager', body: { rules: list } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  const decide = (changeRef: string, who: string, body: unknown) => req('POST', `/api/v1/changes/${changeRef}/approvals`, who, body);
  const approvalsOf = async (changeRef: string) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/changes/${changeRef}/approvals`, role: 'viewer' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const status = (changeId: string) => db().transaction().execute(async (tx) => t.sg.services.approvals.gate.status(tx, (await t.sg.services.changes.workflow.load(tx, changeId))!));
  const openRound = (changeId: string) => db().transaction().execute(async (tx) => t.sg.services.approvals.gate.openRound(tx, (await t.sg.services.changes.workflow.load(tx, changeId))!, systemActor('test')));
  const auditActions = async (id: string) => (await db().selectFrom('audit_events').select('action').where('entity_id', '=', id).orderBy('seq').execute()).map((a) => a.action);
  const events = async (id: string) =>
    (await sql<{ type: string }>`select data->>'type' as type from pgboss.job where name = 'domain-events' and data->>'entityId' = ${id} order by created_on, id`.execute(db())).rows.map((r) => r.type);

  /** A refused request: status, code, the named field, and exactly the listed tables changed (none by default). */
  async function refused(send: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, status: number, code: string, opts: { path?: string; changes?: TableName[] } = {}) {
    const before = await fingerprint(db());
    const p = expectProblem((await send()) as never, status, code);
    if (opts.path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(opts.path);
    expect(changedTables(before, await fingerprint(db()))).toEqual(opts.changes ?? []);
    return p;
  }

  it('approver groups: create with members by e-mail, read by key, rename, replace members (audited), delete', async () => {
    const g = await group(['ann', 'ben']);
    const got = (await t.request({ method: 'GET', url: `/api/v1/approver-groups/${g.key}`, role: 'viewer' })).json();
    expect(got).toMatchObject({ key: g.key, memberCount: 2, version: 1 });
    expect(got.members.map((m: { name: string }) => m.name).sort()).toEqual(['ann', 'ben']);
    const renamed = await t.request({ method: 'PATCH', url: `/api/v1/approver-groups/${g.id}`, role: 'change_manager', body: { name: 'Payments CAB' }, headers: { 'if-match': '"1"' } });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Payments CAB', version: 2 });
    const put = await t.request({ method: 'PUT', url: `/api/v1/approver-groups/${g.key}/members`, role: 'change_manager', body: { users: [people.cem!.id, people.ann!.email.toUpperCase()] } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().members.map((m: { name: string }) => m.name).sort()).toEqual(['ann', 'cem']);
    expect(await auditActions(g.id)).toEqual(['approver_group.created', 'approver_group.updated', 'approver_group.members_set']);
    expect(await events(g.id)).toEqual(['approver_group.created', 'approver_group.updated', 'approver_group.members_set']);
    const list = (await t.request({ method: 'GET', url: `/api/v1/approver-groups?q=${g.key}`, role: 'viewer' })).json();
    expect(list.items.map((x: { key: string }) => x.key)).toEqual([g.key]);
    expect((await admin('DELETE', `/api/v1/approver-groups/${g.key}`)).statusCode).toBe(204);
    expect((await admin('GET', `/api/v1/approver-groups/${g.key}`)).statusCode).toBe(404);
  });

  it('quorum 2 of 3: who may still approve shrinks, the round is met at the second approval, a third is refused', async () => {
    const g = await group(['ann', 'ben', 'cem']);
    const c = await change();
    const set = await rules(c.number, [{ group: g.key, quorum: 2 }]);
    expect(set.requirements[0]).toMatchObject({ quorum: 2, needed: 2, approvals: 0, met: false, source: 'manual' });
    expect(set.requirements[0].mayApprove.map((p: { name: string }) => p.name)).toEqual(['ann', 'ben', 'cem']);
    expect(set.open).toBe(true);

    const first = await decide(c.number, 'ann', { decision: 'approved', comment: 'looks fine' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().decision).toMatchObject({ decision: 'approved', approver: { name: 'ann' }, onBehalfOf: null, round: 1, group: { key: g.key } });
    expect(first.json().approvals.requirements[0].mayApprove.map((p: { name: string }) => p.name)).toEqual(['ben', 'cem']);
    expect((await status(c.id)).met).toBe(false);

    expect((await decide(c.id, 'ben', { decision: 'approved' })).statusCode).toBe(201);
    expect(await status(c.id)).toMatchObject({ round: 1, met: true, rejected: false, requirements: [{ groupKey: g.key, quorum: 2, needed: 2, approvals: 2 }] });
    const view = await approvalsOf(c.number);
    expect(view).toMatchObject({ met: true, blockers: [] });
    expect(view.requirements[0].mayApprove).toEqual([]);
    await refused(() => decide(c.number, 'cem', { decision: 'approved' }), 409, 'quorum_reached');
    expect(await events(c.id)).toEqual(['approval.rules_set', 'approval.decided', 'approval.decided']);
  });

  it('all-members rule: every eligible member must approve; the requester in the group is excluded, with the reason', async () => {
    const g = await group(['ann', 'ben', 'rita']);
    const c = await change({ requester: 'rita' });
    const view = await rules(c.id, [{ group: g.id, quorum: null }]);
    expect(view.requirements[0]).toMatchObject({ quorum: null, needed: 2 });
    expect(view.requirements[0].excluded).toEqual([{ id: people.rita!.id, name: 'rita', reasons: ['requester'] }]);
    expect((await decide(c.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    expect((await status(c.id)).met).toBe(false);
    expect((await approvalsOf(c.id)).blockers).toEqual([`${g.key}: 1 of 2 approvals`]);
    expect((await decide(c.id, 'ben', { decision: 'approved' })).statusCode).toBe(201);
    expect((await status(c.id)).met).toBe(true);
  });

  it('segregation of duties: requester, assignee and admin-requester are refused (403, audited, nothing else written), also through a delegate', async () => {
    const g = await group(['adam', 'sam', 'rita', 'ann']);
    const byAdmin = await change({ requester: 'adam', assignee: 'sam' });
    await rules(byAdmin.id, [{ group: g.key, quorum: 1 }]);
    const p = await refused(() => decide(byAdmin.id, 'adam', { decision: 'approved' }), 403, 'segregation_of_duties', { changes: ['audit_events'] });
    expect(p.detail).toMatch(/requester/);
    await refused(() => decide(byAdmin.id, 'sam', { decision: 'approved' }), 403, 'segregation_of_duties', { changes: ['audit_events'] });
    const refusals = await db().selectFrom('audit_events').select(['action', 'actor_id', 'diff']).where('entity_id', '=', byAdmin.id).where('action', '=', 'change.approval_refused').orderBy('seq').execute();
    expect(refusals.map((r) => r.actor_id)).toEqual([people.adam!.id, people.sam!.id]);
    expect(JSON.stringify(refusals[1]!.diff)).toContain('assignee');

    // rita requested this one and delegated her approvals to dora: dora may not decide for her
    const byRita = await change({ requester: 'rita' });
    await rules(byRita.id, [{ group: g.key, quorum: 1 }]);
    const now = Date.now();
    const d = await req('POST', '/api/v1/delegations', 'rita', { delegate: people.dora!.email, startsAt: new Date(now - HOUR).toISOString(), endsAt: new Date(now + HOUR).toISOString(), reason: 'holiday' });
    expect(d.statusCode, d.body).toBe(201);
    const viaDelegate = await refused(() => decide(byRita.id, 'dora', { decision: 'approved' }), 403, 'segregation_of_duties', { changes: ['audit_events'] });
    expect(viaDelegate).toMatchObject({ onBehalfOf: people.rita!.id });
    // and the requester is not listed among those who may approve, nor is her delegate
    const view = await approvalsOf(byRita.id);
    expect(view.requirements[0].mayApprove.map((x: { name: string }) => x.name)).toEqual(['adam', 'ann', 'sam']);
    expect(view.requirements[0].excluded.map((x: { name: string }) => x.name)).toEqual(['rita']);
    expect((await decide(byRita.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    await req('DELETE', `/api/v1/delegations/${d.json().id}`, 'rita');
  });

  it('approving twice in a round is 409 already_decided and changes nothing', async () => {
    const g = await group(['ann', 'ben', 'cem']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 3 }]);
    expect((await decide(c.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    await refused(() => decide(c.id, 'ann', { decision: 'approved' }), 409, 'already_decided');
    await refused(() => decide(c.id, 'ann', { decision: 'rejected', comment: 'changed my mind' }), 409, 'already_decided');
  });

  it('a rejection needs a comment, returns the change to New and closes the round; a new round ignores the old decisions', async () => {
    const cab = await group(['ann', 'ben', 'cem'], `cab`);
    const c = await change();
    await openRound(c.id); // normal change: default rule, 2 of 'cab'
    expect(await status(c.id)).toMatchObject({ round: 1, met: false, requirements: [{ groupKey: 'cab', quorum: 2, needed: 2, approvals: 0 }] });
    expect((await approvalsOf(c.id)).requirements[0]).toMatchObject({ source: 'default' });
    expect((await decide(c.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    await refused(() => decide(c.id, 'ben', { decision: 'rejected' }), 400, 'validation_failed', { path: 'comment' });
    const rej = await decide(c.id, 'ben', { decision: 'rejected', comment: 'no backout plan' });
    expect(rej.statusCode, rej.body).toBe(201);
    expect(rej.json().approvals).toMatchObject({ rejected: true, open: false, change: { state: -5 } });
    expect((await db().selectFrom('change_requests').select('state').where('id', '=', c.id).executeTakeFirstOrThrow()).state).toBe(-5);
    expect(await status(c.id)).toMatchObject({ met: false, rejected: true });
    await refused(() => decide(c.id, 'cem', { decision: 'approved' }), 409, 'approval_not_open');
    await refused(() => t.request({ method: 'PUT', url: `/api/v1/changes/${c.id}/approval-rules`, role: 'change_manager', body: { rules: [{ group: 'cab', quorum: 1 }] } }), 409, 'approvals_started');

    // re-submitted: a new round opens with the defaults; round 1's decisions stay as history and do not count
    await db().updateTable('change_requests').set({ state: AUTHORIZE, approval_round: 2 }).where('id', '=', c.id).execute();
    await openRound(c.id);
    const view = await approvalsOf(c.id);
    expect(view).toMatchObject({ round: 2, met: false, rejected: false, open: true });
    expect(view.requirements[0]).toMatchObject({ group: { key: 'cab' }, approvals: 0, rejections: 0 });
    expect(view.requirements[0].mayApprove.map((p: { name: string }) => p.name)).toEqual(['ann', 'ben', 'cem']);
    expect(view.decisions.map((d: { round: number; decision: string }) => `${d.round}:${d.decision}`)).toEqual(['1:rejected', '1:approved']);
    expect((await decide(c.id, 'ben', { decision: 'approved' })).statusCode).toBe(201);
    expect((await decide(c.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    expect(await status(c.id)).toMatchObject({ round: 2, met: true });
    expect(await auditActions(c.id)).toEqual(expect.arrayContaining(['approval.round_opened', 'approval.decided', 'change.state_changed']));
    expect(cab.key).toBe('cab');
  });

  it('rules can no longer change once someone decided in the round; a round without rules is never met', async () => {
    const g = await group(['ann', 'ben']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 1 }]);
    expect((await decide(c.id, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    await refused(() => t.request({ method: 'PUT', url: `/api/v1/changes/${c.id}/approval-rules`, role: 'change_manager', body: { rules: [{ group: g.key, quorum: 2 }] } }), 409, 'approvals_started');

    const standard = await change({ type: 'standard' });
    await openRound(standard.id);
    expect(await status(standard.id)).toEqual({ round: 1, met: false, rejected: false, requirements: [{ groupId: '', groupKey: 'no-approval-rule', quorum: null, needed: 1, approvals: 0 }] });
    expect((await approvalsOf(standard.id)).blockers[0]).toMatch(/No approval rule/);
    await refused(() => decide(standard.id, 'ann', { decision: 'approved' }), 409, 'no_approval_rule');
  });

  it('delegation: the delegate decides on behalf of the member only during the range, and not after revocation', async () => {
    const g = await group(['ann', 'ben']);
    const now = Date.now();
    const later = await req('POST', '/api/v1/delegations', 'ben', { delegate: people.dora!.id, startsAt: new Date(now + 24 * HOUR).toISOString(), endsAt: new Date(now + 48 * HOUR).toISOString(), reason: 'conference' });
    expect(later.statusCode, later.body).toBe(201);
    expect(later.json()).toMatchObject({ user: { name: 'ben' }, delegate: { name: 'dora' }, active: false });
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 2 }]);
    await refused(() => decide(c.id, 'dora', { decision: 'approved' }), 403, 'not_an_approver');

    const nowDelegation = await req('POST', '/api/v1/delegations', 'ann', { delegate: people.dora!.email, startsAt: new Date(now - HOUR).toISOString(), endsAt: new Date(now + HOUR).toISOString(), reason: 'holiday' });
    expect(nowDelegation.statusCode).toBe(201);
    const view = await approvalsOf(c.id);
    expect(view.requirements[0].mayApprove.find((p: { name: string }) => p.name === 'ann').delegates).toEqual([{ id: people.dora!.id, name: 'dora' }]);
    const onBehalf = await decide(c.id, 'dora', { decision: 'approved', comment: 'for ann' });
    expect(onBehalf.statusCode, onBehalf.body).toBe(201);
    expect(onBehalf.json().decision).toMatchObject({ approver: { name: 'dora' }, onBehalfOf: { id: people.ann!.id, name: 'ann' } });
    await refused(() => decide(c.id, 'ann', { decision: 'approved' }), 409, 'already_decided');

    const mine = (await req('GET', '/api/v1/delegations?active=true', 'ann')).json();
    expect(mine.items.map((d: { id: string }) => d.id)).toEqual([nowDelegation.json().id]);
    await refused(() => req('GET', `/api/v1/delegations?user=${people.ben!.email}`, 'ann'), 403, 'permission_denied');
    expect((await req('DELETE', `/api/v1/delegations/${nowDelegation.json().id}`, 'ann')).statusCode).toBe(204);
    await refused(() => req('DELETE', `/api/v1/delegations/${nowDelegation.json().id}`, 'ann'), 409, 'already_revoked');
    await refused(() => req('DELETE', `/api/v1/delegations/${later.json().id}`, 'cem'), 404, 'not_found');
    expect(await auditActions(nowDelegation.json().id)).toEqual(['delegation.created', 'delegation.revoked']);

    const c2 = await change();
    await rules(c2.id, [{ group: g.key, quorum: 1 }]);
    await refused(() => decide(c2.id, 'dora', { decision: 'approved' }), 403, 'not_an_approver');
  });

  it('escalates overdue requirements once, with an event', async () => {
    const g = await group(['ann', 'ben']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 2, dueAt: new Date(Date.now() + HOUR).toISOString() }]);
    const escalated = await t.sg.services.approvals.escalateOverdue(new Date(Date.now() + 2 * HOUR));
    expect(escalated).toBeGreaterThanOrEqual(1);
    const view = await approvalsOf(c.id);
    expect(view.requirements[0].escalatedAt).not.toBeNull();
    expect(await events(c.id)).toContain('change.approval_escalated');
    await t.sg.services.approvals.escalateOverdue(new Date(Date.now() + 3 * HOUR));
    expect((await events(c.id)).filter((e) => e === 'change.approval_escalated')).toHaveLength(1);
  });

  it('end to end with the change state machine: rules set in Assess, approvals by two members, Scheduled; a rejection and a re-submission', async () => {
    const g = await group(['ann', 'ben', 'cem', 'rita']);
    expect((await admin('POST', '/api/v1/teams', { key: `ops-${kind}`, name: 'Ops' })).statusCode).toBe(201);
    const move = (ref: string, to: string) => req('POST', `/api/v1/changes/${ref}/transitions`, 'rita', { to });
    async function submitted() {
      const created = await req('POST', '/api/v1/changes', 'rita', {
        type: 'normal', title: 'Rotate keys', assignmentTeam: `ops-${kind}`, description: 'New signing keys', justification: 'Yearly rotation',
        backoutPlan: 'restore the old keys', plannedStart: '2030-08-01T08:00:00Z', plannedEnd: '2030-08-01T09:00:00Z',
      });
      expect(created.statusCode, created.body).toBe(201);
      const c = created.json() as { id: string; number: string };
      expect((await move(c.id, 'assess')).statusCode).toBe(200);
      await rules(c.number, [{ group: g.key, quorum: 2 }]);
      const auth = await move(c.id, 'authorize');
      expect(auth.statusCode, auth.body).toBe(200);
      return c;
    }

    const c = await submitted();
    expect((await approvalsOf(c.id)).requirements[0]).toMatchObject({ group: { key: g.key }, quorum: 2, source: 'manual' });
    await refused(() => decide(c.number, 'rita', { decision: 'approved' }), 403, 'segregation_of_duties', { changes: ['audit_events'] });
    expectProblem(await move(c.id, 'scheduled'), 409, 'approvals_pending');
    expect((await decide(c.number, 'ann', { decision: 'approved' })).statusCode).toBe(201);
    expect((await decide(c.number, 'ben', { decision: 'approved' })).statusCode).toBe(201);
    const scheduled = await move(c.id, 'scheduled');
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    await refused(() => decide(c.number, 'cem', { decision: 'approved' }), 409, 'approval_not_open');

    const r = await submitted();
    expect((await decide(r.id, 'cem', { decision: 'rejected', comment: 'window clashes with the sale' })).statusCode).toBe(201);
    const back = (await t.request({ method: 'GET', url: `/api/v1/changes/${r.id}`, role: 'viewer' })).json();
    expect(back.state).toMatchObject({ name: 'new' });
    await refused(() => decide(r.id, 'ann', { decision: 'approved' }), 409, 'approval_not_open');
    expect((await move(r.id, 'assess')).statusCode).toBe(200);
    expect((await move(r.id, 'authorize')).statusCode).toBe(200);
    const round2 = await approvalsOf(r.id);
    expect(round2).toMatchObject({ round: 2, rejected: false });
    // rules of the new round can be set until someone decides in it; cem, who rejected round 1, may decide again
    await rules(r.id, [{ group: g.key, quorum: 1 }]);
    expect((await decide(r.id, 'cem', { decision: 'approved' })).statusCode).toBe(201);
    expect((await move(r.id, 'scheduled')).statusCode).toBe(200);
  });

  describe('CAB boards', () => {
    let board: { id: string; key: string };
    let cabGroup: { id: string; key: string };
    const changes: Record<string, { id: string; number: string }> = {};

    beforeAll(async () => {
      cabGroup = await group(['ann', 'ben', 'cem']);
      // 2030-01-01 is a Tuesday: weekly at 10:00 Berlin (09:00Z in winter)
      const res = await t.request({
        method: 'POST', url: '/api/v1/cab', role: 'change_manager',
        body: { key: `cab-${kind}`, name: 'Weekly CAB', group: cabGroup.key, timeZone: 'Europe/Berlin', firstMeeting: '2030-01-01T10:00', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=TU' },
      });
      expect(res.statusCode, res.body).toBe(201);
      board = res.json();
      const plan: [string, RiskLevel | null, string | null, ChangeStateValue][] = [
        ['low', 'low', '2030-01-09T08:00:00Z', AUTHORIZE],
        ['veryHighLate', 'very_high', '2030-01-14T08:00:00Z', AUTHORIZE],
        ['veryHighEarly', 'very_high', '2030-01-10T08:00:00Z', AUTHORIZE],
        ['afterNextMeeting', 'high', '2030-02-01T08:00:00Z', AUTHORIZE],
        ['inNew', 'high', '2030-01-09T08:00:00Z', -5 as ChangeStateValue],
        ['unplanned', 'moderate', null, AUTHORIZE],
      ];
      for (const [name, risk, start, state] of plan) {
        changes[name] = await change({ risk, start, state: AUTHORIZE });
        await rules(changes[name]!.id, [{ group: cabGroup.key, quorum: 2 }]);
        if (state !== AUTHORIZE) await db().updateTable('change_requests').set({ state }).where('id', '=', changes[name]!.id).execute();
      }
    });

    it('lists meetings from the schedule (time zone aware) and validates schedules', async () => {
      const res = await t.request({ method: 'GET', url: `/api/v1/cab/${board.key}/meetings?from=2030-03-20T00:00:00Z&to=2030-04-05T00:00:00Z`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      // Berlin switches to summer time on 2030-03-31: 10:00 local is 09:00Z before, 08:00Z after
      expect(res.json().items.map((m: { start: string }) => m.start)).toEqual(['2030-03-26T09:00:00.000Z', '2030-04-02T08:00:00.000Z']);
      const got = (await t.request({ method: 'GET', url: `/api/v1/cab/${board.id}`, role: 'viewer' })).json();
      expect(got).toMatchObject({ key: board.key, group: { key: cabGroup.key }, firstMeeting: '2030-01-01T10:00:00', nextMeetings: expect.any(Array) });
      const body = { key: `cab-bad-${kind}`, name: 'Bad', group: cabGroup.key, timeZone: 'Europe/Berlin', firstMeeting: '2030-01-02T10:00', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=TU' };
      await refused(() => t.request({ method: 'POST', url: '/api/v1/cab', role: 'change_manager', body }), 422, 'invalid_schedule', { path: 'firstMeeting' });
      await refused(() => t.request({ method: 'POST', url: '/api/v1/cab', role: 'change_manager', body: { ...body, firstMeeting: '2030-01-01T10:00', rrule: 'FREQ=SOMETIMES' } }), 422, 'invalid_schedule', { path: 'rrule' });
      await refused(() => t.request({ method: 'POST', url: '/api/v1/cab', role: 'change_manager', body: { ...body, firstMeeting: '2030-01-01T10:00', timeZone: 'Mars/Olympus' } }), 422, 'invalid_schedule', { path: 'timeZone' });
      await refused(() => t.request({ method: 'POST', url: '/api/v1/cab', role: 'change_manager', body: { ...body, firstMeeting: '2030-01-01T10:00', group: 'nobody' } }), 422, 'unknown_reference', { path: 'group' });
      const patched = await t.request({ method: 'PATCH', url: `/api/v1/cab/${board.key}`, role: 'change_manager', body: { durationMinutes: 90 }, headers: { 'if-match': '"1"' } });
      expect(patched.statusCode, patched.body).toBe(200);
      expect(patched.json()).toMatchObject({ durationMinutes: 90, version: 2 });
      expect(await auditActions(board.id)).toEqual(['cab.created', 'cab.updated']);
    });

    it('the agenda lists changes due before the next meeting, very high risk first, then by planned start, with what each needs', async () => {
      const res = await t.request({ method: 'GET', url: `/api/v1/cab/${board.key}/agenda?meeting=2030-01-08T09:00:00Z`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      const agenda = res.json();
      expect(agenda.meeting.start).toBe('2030-01-08T09:00:00.000Z');
      expect(agenda.nextMeeting.start).toBe('2030-01-15T09:00:00.000Z');
      expect(agenda.items.map((i: { change: { number: string } }) => i.change.number)).toEqual(
        ['veryHighEarly', 'veryHighLate', 'unplanned', 'low'].map((k) => changes[k]!.number),
      );
      expect(agenda.items[0].needs).toMatchObject([{ group: { id: cabGroup.id, key: cabGroup.key, name: cabGroup.key.toUpperCase() }, needed: 2, approvals: 0, met: false }]);
      // who may still approve comes with each item, so a meeting view needs no request per change
      expect(agenda.items[0].needs[0].mayApprove.length).toBeGreaterThan(0);
      expect(agenda.items[0].needs[0].excluded).toEqual(expect.any(Array));
      // a manual override outranks the computed level
      await db().updateTable('change_requests').set({ risk_override: JSON.stringify({ level: 'very_high', reason: 'r', by: null, byName: 'x', at: new Date().toISOString() }) }).where('id', '=', changes.low!.id).execute();
      const overridden = (await t.request({ method: 'GET', url: `/api/v1/cab/${board.key}/agenda?meeting=2030-01-08T09:00:00Z`, role: 'viewer' })).json();
      expect(overridden.items.map((i: { change: { number: string; riskLevel: string } }) => [i.change.number, i.change.riskLevel])[0]).toEqual([changes.low!.number, 'very_high']);
      await db().updateTable('change_requests').set({ risk_override: null }).where('id', '=', changes.low!.id).execute();
      await refused(() => t.request({ method: 'GET', url: `/api/v1/cab/${board.key}/agenda?meeting=2030-01-08T10:00:00Z`, role: 'viewer' }), 400, 'not_a_meeting', { path: 'meeting' });
    });

    it('bulk decisions: each checked on its own, each result reported', async () => {
      const res = await req('POST', `/api/v1/cab/${board.key}/decisions`, 'ann', {
        decisions: [
          { change: changes.veryHighEarly!.number, decision: 'approved', comment: 'agreed in CAB' },
          { change: changes.veryHighEarly!.id, decision: 'approved' },
          { change: changes.inNew!.number, decision: 'approved' },
          { change: 'CHG0000000', decision: 'approved' },
          { change: changes.low!.number, decision: 'rejected' },
          { change: changes.unplanned!.number, decision: 'rejected', comment: 'needs a window' },
        ],
      });
      expect(res.statusCode, res.body).toBe(200);
      const items = res.json().items as { ok: boolean; problem: { code: string } | null }[];
      expect(items.map((i) => (i.ok ? 'ok' : i.problem!.code))).toEqual(['ok', 'already_decided', 'approval_not_open', 'not_found', 'validation_failed', 'ok']);
      expect((await status(changes.veryHighEarly!.id)).requirements[0]!.approvals).toBe(1);
      expect((await db().selectFrom('change_requests').select('state').where('id', '=', changes.unplanned!.id).executeTakeFirstOrThrow()).state).toBe(-5);
      // the group's board refuses the requester through the bulk path too, and audits it
      const own = await change({ requester: 'ben' });
      await rules(own.id, [{ group: cabGroup.key, quorum: 1 }]);
      const mine = await req('POST', `/api/v1/cab/${board.key}/decisions`, 'ben', { decisions: [{ change: own.number, decision: 'approved' }] });
      expect(mine.json().items[0].problem).toMatchObject({ status: 403, code: 'segregation_of_duties' });
      expect(await auditActions(own.id)).toContain('change.approval_refused');
    });

    it('a group still used by requirements or boards cannot be deleted', async () => {
      await refused(() => admin('DELETE', `/api/v1/approver-groups/${cabGroup.key}`), 409, 'still_referenced');
    });
  });

  it('bad input: clear 4xx naming the field, nothing written', async () => {
    const g = await group(['ann']);
    const c = await change();
    await refused(() => admin('POST', '/api/v1/approver-groups', { key: 'grp-x', name: 'X', members: ['nobody@nowhere.test'] }), 422, 'unknown_reference', { path: 'members.0' });
    await refused(() => admin('POST', '/api/v1/approver-groups', { key: g.key, name: 'Again' }), 409, 'duplicate_key');
    await refused(() => admin('POST', '/api/v1/approver-groups', { key: 'grp-y', name: 'Y', colour: 'red' }), 400, 'validation_failed');
    await refused(() => admin('PUT', `/api/v1/approver-groups/${g.key}/members`, { users: [people.ann!.id, 'ghost'] }), 422, 'unknown_reference', { path: 'users.1' });
    const rulesPut = (body: unknown) => t.request({ method: 'PUT', url: `/api/v1/changes/${c.id}/approval-rules`, role: 'change_manager', body });
    await refused(() => rulesPut({ rules: [{ group: g.key, quorum: 2 }] }), 422, 'validation_failed', { path: 'rules.0.quorum' });
    await refused(() => rulesPut({ rules: [{ group: 'nope', quorum: 1 }] }), 422, 'validation_failed', { path: 'rules.0.group' });
    await refused(() => rulesPut({ rules: [{ group: g.key, quorum: 1 }, { group: g.id, quorum: 1 }] }), 422, 'validation_failed', { path: 'rules.1.group' });
    await refused(() => rulesPut({ rules: [] }), 400, 'validation_failed');
    await refused(() => rulesPut({ rules: [{ group: g.key, quorum: 0 }] }), 400, 'validation_failed');
    await refused(() => t.request({ method: 'PUT', url: '/api/v1/changes/CHG0000000/approval-rules', role: 'change_manager', body: { rules: [{ group: g.key, quorum: 1 }] } }), 404, 'not_found');
    await refused(() => decide(c.id, 'ann', { decision: 'maybe' }), 400, 'validation_failed');
    await refused(() => decide(c.id, 'ann', { decision: 'approved', extra: 1 }), 400, 'validation_failed');
    const now = Date.now();
    const delegation = (body: Record<string, unknown>) => req('POST', '/api/v1/delegations', 'ann', { delegate: people.ben!.id, startsAt: new Date(now).toISOString(), endsAt: new Date(now + HOUR).toISOString(), reason: 'away', ...body });
    await refused(() => delegation({ delegate: people.ann!.id }), 422, 'validation_failed', { path: 'delegate' });
    await refused(() => delegation({ endsAt: new Date(now - HOUR).toISOString() }), 422, 'validation_failed', { path: 'endsAt' });
    await refused(() => delegation({ user: people.ben!.id }), 403, 'permission_denied');
    await refused(() => delegation({ delegate: 'ghost@nowhere.test' }), 422, 'unknown_reference', { path: 'delegate.0' });
    await refused(() => delegation({ reason: '' }), 400, 'validation_failed');
  });
});
