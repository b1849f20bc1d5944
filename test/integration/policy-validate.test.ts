import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProfiles, installExampleProfiles } from '../../src/server/modules/governance/examples.js';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

describe.each(targets)('POST /api/v1/policies/validate on %s', (kind) => {
  let t: TestApp;
  const db = () => t.sg.database.db;
  const validate = async (body: Record<string, unknown>) => {
    const res = await t.request({ method: 'POST', url: '/api/v1/policies/validate', body, role: 'viewer' });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { valid: boolean; errors: { path: string; message: string }[]; document?: Record<string, unknown> };
  };
  const fastLane = () => exampleProfiles().find((p) => p.key === 'fast-lane')!.document;

  beforeAll(async () => {
    t = await startTestApp(kind);
    await installExampleProfiles(t.sg.services, db(), systemActor('test'));
  });
  afterAll(async () => t?.close());

  it('accepts a valid YAML source and returns the parsed document', async () => {
    const doc = { description: 'one CAB approval', rules: [{ id: 'high', when: { any: [{ riskLevel: { in: ['high'] } }] }, then: { approvals: [{ group: 'cab', quorum: 1 }] } }] };
    expect(await validate({ format: 'yaml', source: `# comments are kept in the source\n${stringify(doc)}` })).toEqual({ valid: true, errors: [], document: doc });
  });

  it('accepts a valid JSON source', async () => {
    expect(await validate({ format: 'json', source: JSON.stringify(fastLane()) })).toEqual({ valid: true, errors: [], document: fastLane() });
  });

  it('reports broken YAML and JSON syntax at the document root', async () => {
    const yaml = await validate({ format: 'yaml', source: 'rules: [unclosed' });
    expect(yaml.valid).toBe(false);
    expect(yaml.document).toBeUndefined();
    expect(yaml.errors).toHaveLength(1);
    expect(yaml.errors[0]!.path).toBe('/');
    expect(yaml.errors[0]!.message).not.toBe('');
    expect((await validate({ format: 'json', source: '{"rules": [' })).errors.map((e) => e.path)).toEqual(['/']);
  });

  it('reports schema violations with JSON pointer paths', async () => {
    const bad = { rules: [{ id: 'r1', when: { all: [{ riskScore: { '=>': 5 } }] }, then: { autoApprove: 'yes' } }, { then: {} }], extra: 1 };
    const res = await validate({ format: 'json', source: JSON.stringify(bad) });
    expect(res.valid).toBe(false);
    expect(res.errors.map((e) => e.path).sort()).toEqual(['/extra', '/rules/0/then/autoApprove', '/rules/0/when/all/0/riskScore/=>', '/rules/1/id']);
    expect(res.errors.find((e) => e.path === '/rules/1/id')!.message).toBe('is required');
  });

  it('reports approver groups that do not exist', async () => {
    const doc = { rules: [{ id: 'r1', then: { approvals: [{ group: 'cab', quorum: 1 }, { group: 'ghosts', quorum: 2 }] } }] };
    expect(await validate({ format: 'yaml', source: stringify(doc) })).toEqual({
      valid: false, errors: [{ path: '/rules/0/then/approvals/1/group', message: "no approver group 'ghosts'" }],
    });
  });

  it('answers conditions nested too deeply with an error, not a failure', async () => {
    const depth = 19_000; // within the 200,000 characters a source may have
    const source = `{"rules":[{"id":"deep","then":{},"when":{"all":[${'{"all":['.repeat(depth)}{"emergency":true}${']}'.repeat(depth)}]}}]}`;
    expect(await validate({ format: 'json', source })).toEqual({ valid: false, errors: [{ path: '/', message: 'is nested too deeply (more than 64 levels)' }] });
    // saving it is the same clear 422, not a failure, and stores nothing
    const before = await fingerprint(db());
    const res = await t.request({ method: 'POST', url: '/api/v1/governance-profiles/fast-lane/policies', body: { format: 'json', source }, role: 'admin' });
    expect(expectProblem(res, 422, 'invalid_policy').errors).toEqual([{ path: '/', message: 'is nested too deeply (more than 64 levels)' }]);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('stores nothing, whatever the outcome', async () => {
    const versions = async () => (await db().selectFrom('policy_versions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n;
    const countBefore = await versions();
    const before = await fingerprint(db());
    await validate({ format: 'json', source: JSON.stringify(fastLane()) });
    await validate({ format: 'yaml', source: 'rules: [unclosed' });
    expect(await versions()).toBe(countBefore);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('needs authentication and rejects malformed requests', async () => {
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/policies/validate', body: { format: 'json', source: '{"rules": []}' }, role: null }), 401, 'unauthenticated');
    const res = await t.request({ method: 'POST', url: '/api/v1/policies/validate', body: { format: 'toml', source: 'rules = []' }, role: 'viewer' });
    expect(res.statusCode).toBe(400);
    expect((await t.request({ method: 'POST', url: '/api/v1/policies/validate', body: { format: 'json', source: '{"rules": []}', activate: true }, role: 'viewer' })).statusCode).toBe(400);
  });
});
