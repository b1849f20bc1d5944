import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const definition = {
  phases: [
    { key: 'build', name: 'Build', environments: ['dev'], defaultDurationDays: 10 },
    { key: 'sit', name: 'SIT', environments: ['sit'], defaultDurationDays: 5 },
    { key: 'prod', name: 'Production', environments: ['prod'], defaultDurationDays: 1 },
  ],
  gates: [
    { key: 'sit-exit', name: 'SIT exit', afterPhase: 'sit', criteria: [{ kind: 'all_scope_done' }, { kind: 'custom_check', config: { metric: 'pass_rate', min: 98 } }], approverTeam: 'qa', quorum: 2 },
  ],
  runbook: [{ title: 'Announce the release', owner: 'release manager' }],
};

describe.each(targets)('release templates API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const [key, tier, order] of [['dev', 'development', 1], ['sit', 'testing', 2], ['prod', 'production', 3]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key.toUpperCase(), tier, order } })).statusCode).toBe(201);
    }
    expect((await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'qa', name: 'QA' } })).statusCode).toBe(201);
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const versionsOf = async (id: string) => (await db().selectFrom('release_template_versions').select(['template_version']).where('template_id', '=', id).orderBy('template_version').execute()).map((r) => r.template_version);

  it('creates a template with version 1, stored in the version history, readable by id and key', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/release-templates', body: { key: 'standard', name: 'Standard release', definition }, role: 'release_manager' });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/release-templates/${body.id}`);
    expect(body).toMatchObject({ key: 'standard', templateVersion: 1, version: 1, definition: { phases: [{ key: 'build' }, { key: 'sit' }, { key: 'prod' }] } });
    expect((await t.request({ method: 'GET', url: '/api/v1/release-templates/standard', role: 'viewer' })).json()).toEqual(body);
    expect((await t.request({ method: 'GET', url: `/api/v1/release-templates/${body.id}` })).json()).toEqual(body);
    expect(await versionsOf(body.id)).toEqual([1]);
    const list = await t.request({ method: 'GET', url: '/api/v1/release-templates?q=stand', role: 'viewer' });
    expect(list.json().items.map((i: { key: string }) => i.key)).toEqual(['standard']);
  });

  it('bumps templateVersion only when the definition changes, keeping every version', async () => {
    const current = (await t.request({ method: 'GET', url: '/api/v1/release-templates/standard' })).json();
    const renamed = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/standard', body: { name: 'Standard' }, headers: { 'if-match': `"${current.version}"` } });
    expect(renamed.json()).toMatchObject({ name: 'Standard', templateVersion: 1, version: 2 });
    const same = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/standard', body: { definition } });
    expect(same.json()).toMatchObject({ templateVersion: 1, version: 2 });
    const changed = { ...definition, phases: definition.phases.map((p) => (p.key === 'sit' ? { ...p, defaultDurationDays: 7 } : p)) };
    const res = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/standard', body: { definition: changed } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ templateVersion: 2, version: 3 });
    expect(await versionsOf(current.id)).toEqual([1, 2]);
    const stale = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/standard', body: { name: 'x' }, headers: { 'if-match': '"1"' } });
    expectProblem(stale, 412, 'precondition_failed');
  });

  it('refuses invalid definitions with a 4xx naming the field, and changes nothing', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ ...definition, gates: [{ ...definition.gates[0], afterPhase: 'uat' }] }, 422, 'invalid_definition', 'definition.gates.0.afterPhase'],
      [{ ...definition, phases: [definition.phases[0], definition.phases[0]] }, 422, 'invalid_definition', 'definition.phases.1.key'],
      [{ ...definition, phases: [{ ...definition.phases[0], environments: ['nowhere'] }], gates: [] }, 422, 'invalid_definition', 'definition.phases.0.environments'],
      [{ ...definition, gates: [{ ...definition.gates[0], approverTeam: 'ghosts' }] }, 422, 'invalid_definition', 'definition.gates.0.approverTeam'],
      [{ ...definition, phases: [] }, 400, 'validation_failed', 'definition.phases'],
      [{ ...definition, phases: [{ key: 'x1', name: 'X', defaultDurationDays: 0 }] }, 400, 'validation_failed', 'definition.phases.0.defaultDurationDays'],
    ];
    for (const [def, status, code, path] of cases) {
      const before = await fingerprint(db());
      const count = await db().selectFrom('release_templates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      const created = await t.request({ method: 'POST', url: '/api/v1/release-templates', body: { key: 'broken', name: 'Broken', definition: def } });
      const p = expectProblem(created, status, code);
      expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
      const patched = await t.request({ method: 'PATCH', url: '/api/v1/release-templates/standard', body: { definition: def } });
      expectProblem(patched, status, code);
      expect(changedTables(before, await fingerprint(db()))).toEqual([]);
      expect(await db().selectFrom('release_templates').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).toEqual(count);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/release-templates/standard' })).json().templateVersion).toBe(2);
  });

  it('refuses a duplicate key with 409, and writes for viewers with 403', async () => {
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/release-templates', body: { key: 'standard', name: 'Again', definition } }), 409, 'duplicate_key');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/release-templates', role: 'viewer', body: { key: 'other', name: 'Other', definition } }), 403, 'permission_denied');
  });

  it('deletes a template; releases made from it keep their copy', async () => {
    const tpl = (await t.request({ method: 'POST', url: '/api/v1/release-templates', body: { key: 'short-lived', name: 'Short', definition } })).json();
    const rel = await t.request({ method: 'POST', url: '/api/v1/releases', body: { key: 'from-short', name: 'From short', type: 'independent', templateKey: 'short-lived', plannedStart: '2030-01-01T00:00:00Z' } });
    expect(rel.statusCode, rel.body).toBe(201);
    expect(rel.json()).toMatchObject({ templateId: tpl.id, templateVersion: 1 });
    expect((await t.request({ method: 'DELETE', url: '/api/v1/release-templates/short-lived' })).statusCode).toBe(204);
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/release-templates/short-lived' }), 404, 'not_found');
    const after = (await t.request({ method: 'GET', url: '/api/v1/releases/from-short' })).json();
    expect(after).toMatchObject({ templateId: null, templateVersion: 1 });
    expect(after.phases.map((p: { key: string }) => p.key)).toEqual(['build', 'sit', 'prod']);
    expect(await versionsOf(tpl.id)).toEqual([]);
  });
});
