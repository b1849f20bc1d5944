import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangePolicyFacts } from '../../src/server/modules/changes/change-contracts.js';
import { combineDecisions } from '../../src/server/modules/governance/change-governor.js';
import { newId } from '../../src/server/lib/ids.js';
import { installExampleProfiles } from '../../src/server/modules/governance/examples.js';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const FACTS: ChangePolicyFacts = { changeType: 'normal', riskLevel: 'low', riskScore: 8, serviceTier: 3, environmentTier: 'development', changeFailureRate90d: null, testsPassed: null };
const decision = (over: Partial<{ approvals: { group: string; quorum: number | null }[]; autoApprove: boolean; block: string | null; changeType: 'standard' | 'normal' | 'emergency'; windows: 'respect' | 'ignore' }>) => ({
  changeType: 'normal' as const, approvals: [], autoApprove: false, windows: 'respect' as const, block: null, ...over,
});

describe('combineDecisions (pure): several profiles, the strictest part wins', () => {
  it('auto-approves only when all do, unions approvals with the larger quorum, joins blocks, takes the most controlled type', () => {
    const v = combineDecisions([
      { profile: 'a', version: 1, decision: decision({ autoApprove: true, approvals: [{ group: 'cab', quorum: 1 }], changeType: 'standard', windows: 'ignore' }), explanation: { fired: ['x'], fromDefaults: [] } },
      { profile: 'b', version: 3, decision: decision({ approvals: [{ group: 'cab', quorum: 2 }, { group: 'sec', quorum: null }], block: 'no Fridays' }), explanation: { fired: [], fromDefaults: ['block'] } },
    ], FACTS, new Date('2026-01-01T00:00:00Z'));
    expect(v).toMatchObject({
      changeType: 'normal', autoApprove: false, windows: 'respect', block: 'b: no Fridays',
      approvals: [{ group: 'cab', quorum: 2 }, { group: 'sec', quorum: null }],
      profiles: [{ profile: 'a', version: 1, fired: ['x'] }, { profile: 'b', version: 3, fired: [] }],
    });
    const one = combineDecisions([{ profile: 'a', version: 1, decision: decision({ autoApprove: true }), explanation: { fired: [], fromDefaults: [] } }], FACTS, new Date());
    expect(one).toMatchObject({ autoApprove: true, block: null, approvals: [] });
  });
});

describe.each(targets)('governance policies decide on changes on %s', (kind) => {
  let t: TestApp;
  const admin = systemActor('test');
  // a Tuesday 10:00 UTC well ahead: business hours, so the time factor adds nothing
  const start = new Date(Date.UTC(2031, 2, 4, 10));
  const window = { plannedStart: start.toISOString(), plannedEnd: new Date(start.getTime() + 3_600_000).toISOString() };
  const ready = { description: 'Rebuild the index', justification: 'Stale results', backoutPlan: 'Restore the old index', implementationPlan: 'Run the job', assignmentTeam: 'ops' };

  const req = (method: string, url: string, body?: unknown, role: 'change_manager' | 'viewer' | 'approver' = 'change_manager') => t.request({ method, url, body, role });
  const create = async (body: Record<string, unknown>) => {
    const res = await req('POST', '/api/v1/changes', { type: 'normal', title: 'Policy test', ...window, ...ready, ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const move = async (number: string, to: string) => {
    const res = await req('POST', `/api/v1/changes/${number}/transitions`, { to });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const approvalsOf = async (number: string) => (await req('GET', `/api/v1/changes/${number}/approvals`, undefined, 'viewer')).json();
  const auditActions = async (id: string) =>
    (await t.sg.database.db.selectFrom('audit_events').select('action').where('entity_id', '=', id).orderBy('seq').execute()).map((r) => r.action);

  beforeAll(async () => {
    t = await startTestApp(kind);
    await t.sg.services.teams.create(admin, { key: 'ops', name: 'Ops' });
    for (const [key, tier, order] of [['dev', 'development', 1], ['prod', 'production', 2]] as const) await t.sg.services.environments.create(admin, { key, name: key, tier, order });
    await installExampleProfiles(t.sg.services, t.sg.database.db, admin, { cab: [t.users.approver.id, t.users.admin.id] });
    await t.sg.services.governance.create(admin, {
      key: 'train-only', name: 'Release train only',
      policy: { format: 'json', activate: true, source: JSON.stringify({ rules: [{ id: 'no-prod', when: { all: [{ environmentTier: { in: ['production'] } }] }, then: { block: 'production changes ship with the release train' } }] }) },
    });
    for (const [key, tier, profile] of [['search', 3, 'fast-lane'], ['ledger', 1, 'regulated'], ['batch', 3, 'train-only'], ['plain', 3, undefined]] as const) {
      await t.sg.services.services.create(admin, { key, name: key, tier, ...(profile ? { governanceProfile: profile } : {}) });
    }
  });
  afterAll(async () => t?.close());

  it('fast-lane auto-approves a low-risk change: the verdict is on the change, Authorize is met without decisions, audited', async () => {
    const c = await create({ services: ['search'], environments: ['dev'] });
    expect(c.risk.level).toBe('low');
    expect(c.policy).toMatchObject({ profiles: [{ profile: 'fast-lane', version: 1, fired: [] }], autoApprove: true, approvals: [], block: null, facts: { riskLevel: 'low', serviceTier: 3, environmentTier: 'development' } });
    await move(c.number, 'assess');
    await move(c.number, 'authorize');
    const approvals = await approvalsOf(c.number);
    expect(approvals).toMatchObject({ met: true, requirements: [], blockers: [] });
    expect(approvals.autoApproved).toMatch(/fast-lane@1/);
    expect((await move(c.number, 'scheduled')).state.name).toBe('scheduled');
    expect(await auditActions(c.id)).toContain('approval.auto_approved');
  });

  it('regulated in production: the policy asks two CAB approvals (source policy), not the built-in default', async () => {
    const c = await create({ services: ['ledger'], environments: ['prod'], securityImpact: { level: 'low', notes: 'no data model change' } });
    expect(c.policy).toMatchObject({ profiles: [{ profile: 'regulated', fired: ['production'] }], autoApprove: false, approvals: [{ group: 'cab', quorum: 2 }] });
    await move(c.number, 'assess');
    await move(c.number, 'authorize');
    const approvals = await approvalsOf(c.number);
    expect(approvals.requirements).toMatchObject([{ group: { key: 'cab' }, quorum: 2, needed: 2, source: 'policy' }]);
    expect(approvals.met).toBe(false);
    expect(approvals.autoApproved).toBeNull();
  });

  it('a blocking policy stops every move forward with a 409 naming the profile, rule and reason; nothing changes; next-states says why', async () => {
    const c = await create({ services: ['batch'], environments: ['prod'] });
    expect(c.policy).toMatchObject({ block: 'train-only: production changes ship with the release train', profiles: [{ profile: 'train-only', fired: ['no-prod'] }] });
    const res = await req('POST', `/api/v1/changes/${c.number}/transitions`, { to: 'assess' });
    const problem = expectProblem(res, 409, 'policy_blocked');
    expect(problem.detail).toMatch(/train-only@1 \(rules no-prod\).*release train/);
    const after = (await req('GET', `/api/v1/changes/${c.number}`, undefined, 'viewer')).json();
    expect({ state: after.state.name, version: after.version }).toEqual({ state: 'new', version: c.version });
    const next = (await req('GET', `/api/v1/changes/${c.number}/next-states`, undefined, 'viewer')).json();
    expect(next.next.find((n: any) => n.name === 'assess')).toMatchObject({ ready: false, missing: [{ path: 'policy' }] });
    // cancel stays possible
    expect((await move(c.number, 'canceled')).state.name).toBe('canceled');
    // moving it out of production lifts the block (a new change: the canceled one is closed)
    const dev = await create({ services: ['batch'], environments: ['dev'] });
    expect(dev.policy).toMatchObject({ block: null });
    expect((await move(dev.number, 'assess')).state.name).toBe('assess');
  });

  it('a risk override is decided on again: fast-lane now wants a CAB approval, so a Scheduled change goes back to Authorize in a new round', async () => {
    const c = await create({ services: ['search'], environments: ['dev'] });
    await move(c.number, 'assess');
    await move(c.number, 'authorize');
    await move(c.number, 'scheduled');
    const res = await req('POST', `/api/v1/changes/${c.number}/risk/override`, { level: 'high', reason: 'touches the shared index cluster' });
    expect(res.statusCode, res.body).toBe(200);
    const after = res.json();
    expect(after.policy).toMatchObject({ autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }], profiles: [{ fired: ['risky'] }], facts: { riskLevel: 'high' } });
    expect(after.state.name).toBe('authorize');
    expect(after.approvalRound).toBe(c.approvalRound + 1);
    const approvals = await approvalsOf(c.number);
    expect(approvals).toMatchObject({ met: false, autoApproved: null, requirements: [{ group: { key: 'cab' }, quorum: 1, source: 'policy' }] });
    const history = (await req('GET', `/api/v1/changes/${c.number}/history`, undefined, 'viewer')).json();
    expect(history.items.at(-1)).toMatchObject({ from: { name: 'scheduled' }, to: { name: 'authorize' } });
    expect(history.items.at(-1).comment).toMatch(/risk override/);
  });

  it('a service without a profile: no verdict, the built-in defaults ask the CAB', async () => {
    const c = await create({ services: ['plain'], environments: ['dev'] });
    expect(c.policy).toBeNull();
    await move(c.number, 'assess');
    await move(c.number, 'authorize');
    expect((await approvalsOf(c.number)).requirements).toMatchObject([{ group: { key: 'cab' }, quorum: 2, source: 'default' }]);
  });

  it('the failure rate a policy sees comes from the outcomes of closed changes, for evaluations and for changes alike', async () => {
    const db = t.sg.database.db;
    const search = (await db.selectFrom('services').select('id').where('key', '=', 'search').executeTakeFirstOrThrow()).id;
    const closed = async (n: number, unsuccessful: boolean, daysAgo: number) => {
      const id = newId();
      const end = new Date(Date.now() - daysAgo * 86_400_000);
      await db.insertInto('change_requests').values({ id, number: `CHG88${String(n).padStart(5, '0')}`, type: 'normal', title: 'past', state: 3, close_code: unsuccessful ? 'unsuccessful' : 'successful', actual_end: end, updated_at: end }).execute();
      await db.insertInto('change_services').values({ change_id: id, service_id: search, closed_at: end, unsuccessful }).execute();
    };
    await closed(1, true, 10);
    await closed(2, false, 20);
    await closed(3, false, 30);
    await closed(4, false, 40);
    await closed(5, true, 120); // outside the 90 days
    const res = await req('POST', '/api/v1/policies/evaluate', { service: 'search', environment: 'dev', changeType: 'normal', riskLevel: 'low' }, 'viewer');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().explanation.facts.changeFailureRate90d).toBe(0.25);
    // fast-lane: 25% ≥ 15%, so a change on search now needs one CAB approval
    const c = await create({ services: ['search'], environments: ['dev'] });
    expect(c.policy).toMatchObject({ facts: { changeFailureRate90d: 0.25 }, autoApprove: false, profiles: [{ fired: ['risky'] }] });
  });

  it('services under two profiles: the strictest decision applies', async () => {
    const c = await create({ services: ['search', 'ledger'], environments: ['dev'] });
    expect(c.policy.profiles.map((p: any) => p.profile)).toEqual(['fast-lane', 'regulated']);
    expect(c.policy).toMatchObject({ autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }] });
  });
});
