import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import { decide } from '../../src/server/modules/governance/decide.js';
import { exampleProfiles, installExampleProfiles } from '../../src/server/modules/governance/examples.js';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const DAY = 86_400_000;

describe('decide (pure)', () => {
  it('lets the first firing rule decide each part and takes the rest from defaults', () => {
    const standard = exampleProfiles().find((p) => p.key === 'standard')!.document;
    const { decision, explanation } = decide({ changeType: 'normal', riskLevel: 'low', testsPassed: true }, standard);
    expect(decision).toEqual({ changeType: 'normal', approvals: [], autoApprove: true, windows: 'respect', block: null });
    expect(explanation.fired).toEqual(['low-risk-tested']);
    expect(explanation.fromDefaults).toEqual(['changeType', 'windows', 'block']);
    // an unknown fact satisfies no test
    expect(decide({ riskLevel: 'low' }, standard).decision).toMatchObject({ autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }] });
  });
});

describe.each(targets)('governance profiles and policies on %s', (kind) => {
  let t: TestApp;
  const db = () => t.sg.database.db;
  const evaluate = async (body: Record<string, unknown>) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/policies/evaluate', body, role: 'viewer' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    const actor = systemActor('test');
    for (const [key, tier, order] of [['dev', 'development', 1], ['prod', 'production', 2]] as const) await t.sg.services.environments.create(actor, { key, name: key, tier, order });
    for (const [key, tier, profile] of [['ledger', 1, 'regulated'], ['catalog', 2, 'standard'], ['search', 3, 'fast-lane'], ['orphan', 3, 'nonexistent']] as const) {
      await t.sg.services.services.create(actor, { key, name: key, tier, governanceProfile: profile });
    }
    await installExampleProfiles(t.sg.services, db(), actor);
  });
  afterAll(async () => t?.close());

  it('lists the example profiles with their active policy and services, and serves the schema', async () => {
    const list = (await t.request({ method: 'GET', url: '/api/v1/governance-profiles', role: 'viewer' })).json();
    expect(list.items.map((p: any) => [p.key, p.currentVersion, p.services])).toEqual([['fast-lane', 1, ['search']], ['regulated', 1, ['ledger']], ['standard', 1, ['catalog']]]);
    const regulated = (await t.request({ method: 'GET', url: '/api/v1/governance-profiles/regulated', role: 'viewer' })).json();
    expect(regulated.policy).toMatchObject({ version: 1, format: 'yaml', status: 'active', document: { rules: [{ id: 'emergency' }, { id: 'production' }] } });
    const schema = await t.request({ method: 'GET', url: '/api/v1/policies/schema', role: 'viewer' });
    expect(schema.json()).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', required: ['rules'] });
    // the published copy in docs/ is the served schema
    expect(schema.json()).toEqual(JSON.parse(readFileSync('docs/policy-schema.json', 'utf8')));
  });

  it('regulated: production needs two CAB approvals, emergencies the emergency CAB, nothing is auto-approved', async () => {
    const prod = await evaluate({ service: 'ledger', environment: 'prod', changeType: 'normal', riskLevel: 'low', testsPassed: true });
    expect(prod).toMatchObject({ profile: 'regulated', version: 1, decision: { changeType: 'normal', approvals: [{ group: 'cab', quorum: 2 }], autoApprove: false, block: null } });
    expect(prod.explanation.fired).toEqual(['production']);
    expect(prod.explanation.rules[1].conditions).toEqual([{ fact: 'environmentTier', test: { in: ['production'] }, value: 'production', met: true }]);
    expect(prod.explanation.facts).toMatchObject({ serviceTier: 1, environmentTier: 'production', emergency: false });
    const emergency = await evaluate({ service: 'ledger', environment: 'prod', changeType: 'emergency' });
    expect(emergency.decision).toMatchObject({ approvals: [{ group: 'emergency-cab', quorum: 1 }], autoApprove: false });
    expect(emergency.explanation.fired).toEqual(['emergency', 'production']);
    const dev = await evaluate({ service: 'ledger', environment: 'dev', changeType: 'normal', riskLevel: 'low', testsPassed: true });
    expect(dev.decision).toMatchObject({ approvals: [{ group: 'cab', quorum: 1 }], autoApprove: false });
    expect(dev.explanation.fired).toEqual([]);
  });

  it('standard: low risk with passing tests is auto-approved, otherwise one CAB approval; risk factors are explained', async () => {
    const factors = [{ factor: 'service_tier', points: 15, detail: 'tier 2 service catalog' }];
    const low = await evaluate({ service: 'catalog', environment: 'prod', changeType: 'normal', riskLevel: 'low', riskScore: 15, testsPassed: true, riskFactors: factors });
    expect(low.decision).toMatchObject({ autoApprove: true, approvals: [] });
    expect(low.explanation).toMatchObject({ fired: ['low-risk-tested'], riskFactors: factors });
    const moderate = await evaluate({ service: 'catalog', changeType: 'normal', riskLevel: 'moderate', testsPassed: true });
    expect(moderate.decision).toMatchObject({ autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }] });
    expect(moderate.explanation.rules[1].conditions).toEqual([
      { fact: 'riskLevel', test: { in: ['low'] }, value: 'moderate', met: false },
      { fact: 'testsPassed', test: true, value: true, met: true },
    ]);
    expect(moderate.explanation.fromDefaults).toContain('approvals');
    const untested = await evaluate({ profile: 'standard', riskLevel: 'low', testsPassed: false });
    expect(untested.decision.autoApprove).toBe(false);
  });

  it('fast-lane: auto-approved unless risk is high or the failure rate reaches 15%', async () => {
    expect((await evaluate({ service: 'search', riskLevel: 'moderate', changeFailureRate90d: 0.05 })).decision).toMatchObject({ autoApprove: true, approvals: [] });
    const failing = await evaluate({ service: 'search', riskLevel: 'low', changeFailureRate90d: 0.15 });
    expect(failing.decision).toMatchObject({ autoApprove: false, approvals: [{ group: 'cab', quorum: 1 }] });
    expect(failing.explanation.rules[1].conditions[1]).toEqual({ fact: 'changeFailureRate90d', test: { '>=': 0.15 }, value: 0.15, met: true });
    expect((await evaluate({ service: 'search', riskLevel: 'very_high' })).decision.autoApprove).toBe(false);
  });

  it('refuses evaluation without a known profile', async () => {
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/evaluate', body: { service: 'orphan' } }), 422, 'unknown_profile');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/evaluate', body: { profile: 'nope' } }), 422, 'unknown_profile');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/evaluate', body: { riskLevel: 'low' } }), 422, 'profile_required');
  });

  it('rejects documents that fail the schema or name unknown groups, with JSON pointers, saving nothing', async () => {
    const before = await fingerprint(db());
    const bad = { rules: [{ id: 'r1', when: { all: [{ riskScore: { '=>': 5 } }] }, then: { autoApprove: 'yes' } }, { then: {} }], extra: 1 };
    const schema = expectProblem(await t.request({ method: 'POST', url: '/api/v1/governance-profiles/standard/policies', body: { format: 'json', source: JSON.stringify(bad) }, role: 'change_manager' }), 422, 'invalid_policy');
    expect(schema.errors!.map((e) => e.path).sort()).toEqual(['/extra', '/rules/0/then/autoApprove', '/rules/0/when/all/0/riskScore/=>', '/rules/1/id']);
    const unknown = { rules: [{ id: 'r1', then: { approvals: [{ group: 'cab', quorum: 1 }, { group: 'ghosts', quorum: 2 }] } }], defaults: { approvals: [{ group: 'phantoms', quorum: null }] } };
    const groups = expectProblem(await t.request({ method: 'POST', url: '/api/v1/governance-profiles/standard/policies', body: { format: 'yaml', source: stringify(unknown) } }), 422, 'unknown_approver_group');
    expect(groups.errors).toEqual([
      { path: '/rules/0/then/approvals/1/group', message: "no approver group 'ghosts'" },
      { path: '/defaults/approvals/0/group', message: "no approver group 'phantoms'" },
    ]);
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/governance-profiles', body: { key: 'ghostly', name: 'Ghostly', policy: { format: 'json', source: JSON.stringify(unknown) } } }), 422, 'unknown_approver_group');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/governance-profiles/standard/policies', body: { format: 'yaml', source: 'rules: [unclosed' } }), 422, 'invalid_policy_source');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/governance-profiles/standard/policies', body: { format: 'json', source: '{"rules": []}' }, role: 'developer' }), 403, 'permission_denied');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('keeps every version, YAML and JSON, and activates the chosen one', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/governance-profiles', body: { key: 'trial', name: 'Trial' }, role: 'change_manager' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ key: 'trial', currentVersion: null, policy: null });
    const v1 = { rules: [], defaults: { approvals: [{ group: 'cab', quorum: 1 }] } };
    const v2 = { rules: [{ id: 'block-very-high', when: { any: [{ riskLevel: { in: ['very_high'] } }] }, then: { block: 'very high risk: split the change' } }] };
    const post = (body: object) => t.request({ method: 'POST', url: '/api/v1/governance-profiles/trial/policies', body, role: 'change_manager' });
    expect((await post({ format: 'json', source: JSON.stringify(v1), activate: true })).json()).toMatchObject({ version: 1, status: 'active', format: 'json' });
    expect((await post({ format: 'yaml', source: `# blocks very high risk\n${stringify(v2)}` })).json()).toMatchObject({ version: 2, status: 'draft', format: 'yaml', document: v2 });
    expect((await evaluate({ profile: 'trial', riskLevel: 'very_high' })).decision.block).toBeNull();
    expect((await evaluate({ profile: 'trial', riskLevel: 'very_high', version: 2 })).decision.block).toBe('very high risk: split the change');
    const act = await t.request({ method: 'POST', url: '/api/v1/policies/trial/versions/2/activate', role: 'change_manager' });
    expect(act.statusCode, act.body).toBe(200);
    const versions = (await t.request({ method: 'GET', url: '/api/v1/governance-profiles/trial/policies', role: 'viewer' })).json();
    expect(versions.items.map((v: any) => [v.version, v.format, v.status])).toEqual([[1, 'json', 'retired'], [2, 'yaml', 'active']]);
    expect(versions.items[1].source).toContain('# blocks very high risk');
    expect((await evaluate({ profile: 'trial', riskLevel: 'very_high' })).decision.block).toBe('very high risk: split the change');
    expect((await t.request({ method: 'GET', url: '/api/v1/governance-profiles/trial' })).json()).toMatchObject({ currentVersion: 2, latestVersion: 2 });
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/trial/versions/9/activate' }), 404, 'not_found');
    expect((await db().selectFrom('audit_events').select('action').where('action', 'in', ['governance_profile.created', 'policy.version_created', 'policy.activated']).execute()).length).toBeGreaterThanOrEqual(3 + 3 + 1);
  });

  it('backtests a draft over past changes: counts per outcome and their actual failure rate', async () => {
    const base = Date.parse('2026-03-02T10:00:00Z');
    const ids = Object.fromEntries((await db().selectFrom('services').select(['key', 'id']).execute()).map((s) => [s.key, s.id]));
    let n = 0;
    const change = async (day: number, risk: 'low' | 'moderate' | 'high' | 'very_high', closeCode: 'successful' | 'unsuccessful' | null, service = 'search') => {
      const id = newId();
      const created = new Date(base + day * DAY);
      await db().insertInto('change_requests').values({
        id, number: `CHG9${String(++n).padStart(6, '0')}`, type: 'normal', title: 'past change', state: closeCode ? 3 : -5, close_code: closeCode,
        risk_level: risk, risk_score: 10, created_at: created, updated_at: new Date(created.getTime() + 3_600_000),
      }).execute();
      await db().insertInto('change_services').values({ change_id: id, service_id: ids[service]! }).execute();
    };
    await change(-200, 'low', 'unsuccessful'); // before the period, and too old for the failure rate
    await change(1, 'low', 'successful'); // no history: auto
    await change(2, 'low', 'successful'); // failure rate 0/1: auto
    await change(3, 'high', 'unsuccessful'); // high risk: CAB
    await change(4, 'low', 'unsuccessful'); // failure rate 1/3: CAB
    await change(5, 'moderate', null); // failure rate 2/4, still open: CAB
    await change(3, 'low', 'unsuccessful', 'ledger'); // another profile's service
    const period = { from: new Date(base).toISOString(), to: new Date(base + 10 * DAY).toISOString() };

    const active = await t.request({ method: 'POST', url: '/api/v1/policies/fast-lane/backtest', body: { ...period, version: 1 }, role: 'viewer' });
    expect(active.statusCode, active.body).toBe(200);
    expect(active.json()).toMatchObject({
      profile: 'fast-lane', version: 1, total: 5,
      autoApprove: { count: 2, closed: 2, unsuccessful: 0, failureRate: 0 },
      approvals: { count: 3, closed: 2, unsuccessful: 2, failureRate: 1 },
      block: { count: 0, closed: 0, failureRate: null },
    });
    expect(active.json().changes.map((c: any) => c.fired)).toEqual([[], [], ['risky'], ['risky'], ['risky']]);

    const fast = exampleProfiles().find((p) => p.key === 'fast-lane')!.document;
    const draft = { ...fast, rules: [{ id: 'no-high-risk', when: { all: [{ riskLevel: { in: ['high', 'very_high'] } }] }, then: { block: 'high risk is not for the fast lane' } }, ...fast.rules] };
    const saved = await t.request({ method: 'POST', url: '/api/v1/governance-profiles/fast-lane/policies', body: { format: 'json', source: JSON.stringify(draft) }, role: 'admin' });
    expect(saved.json()).toMatchObject({ version: 2, status: 'draft' });
    const before = await fingerprint(db());
    const res = await t.request({ method: 'POST', url: '/api/v1/policies/fast-lane/backtest', body: period, role: 'developer' });
    expect(res.json()).toMatchObject({
      version: 2, total: 5,
      autoApprove: { count: 2, failureRate: 0 },
      approvals: { count: 2, closed: 1, unsuccessful: 1, failureRate: 1 },
      block: { count: 1, closed: 1, unsuccessful: 1, failureRate: 1 },
    });
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    expect((await t.request({ method: 'GET', url: '/api/v1/governance-profiles/fast-lane' })).json().currentVersion).toBe(1);
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/fast-lane/backtest', body: { from: period.to, to: period.from } }), 422, 'invalid_period');
  });
});
