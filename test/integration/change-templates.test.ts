import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): any };

describe.each(targets)('standard change templates on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const [key, tier, order] of [['dev', 'development', 1], ['staging', 'staging', 2], ['prod', 'production', 3]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key, tier, order } })).statusCode).toBe(201);
    }
    for (const key of ['dns', 'cdn', 'ledger']) {
      expect((await t.request({ method: 'POST', url: '/api/v1/services', body: { key, name: key, tier: 3 } })).statusCode).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const req = (method: string, url: string, body?: unknown, role: 'change_manager' | 'developer' | 'viewer' = 'change_manager', headers: Record<string, string> = {}): Promise<Res> =>
    t.request({ method, url, body, role, headers }) as never;
  async function rejected(send: () => Promise<Res>, status: number, code: string, path?: string) {
    const before = await fingerprint(db());
    const p = expectProblem((await send()) as never, status, code);
    if (path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return p;
  }
  const definition = {
    defaults: { title: 'Add a DNS record', description: 'Routine DNS change', implementationPlan: 'terraform apply', backoutPlan: 'terraform revert', testPlan: 'dig', impact: 'low' },
    services: ['dns'], environments: ['staging', 'prod'], maxDurationMinutes: 60,
  };

  it('creates, reads and versions a template; changes record the version they were made from', async () => {
    const res = await req('POST', '/api/v1/change-templates', { key: 'dns-record', name: 'DNS record', definition });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ key: 'dns-record', active: true, templateVersion: 1, version: 1, definition });
    expect((await req('GET', '/api/v1/change-templates/dns-record', undefined, 'viewer')).json()).toEqual(res.json());

    const c1 = await req('POST', '/api/v1/changes', { type: 'standard', templateKey: 'dns-record', environments: ['prod'], plannedStart: '2030-01-01T10:00:00Z', plannedEnd: '2030-01-01T10:30:00Z' }, 'developer');
    expect(c1.statusCode, c1.body).toBe(201);
    expect(c1.json()).toMatchObject({
      type: 'standard', title: 'Add a DNS record', implementationPlan: 'terraform apply', impact: 'low', services: [{ key: 'dns' }], environments: [{ key: 'prod' }],
      template: { key: 'dns-record', version: 1 },
    });

    // a no-op edit is not a new version; a new definition is
    const same = await req('PATCH', '/api/v1/change-templates/dns-record', { definition });
    expect(same.json()).toMatchObject({ templateVersion: 1, version: 1 });
    await rejected(() => req('PATCH', '/api/v1/change-templates/dns-record', { name: 'x' }, 'change_manager', { 'if-match': '"9"' }), 412, 'precondition_failed');
    const v2 = await req('PATCH', '/api/v1/change-templates/dns-record', { definition: { ...definition, services: ['dns', 'cdn'] } }, 'change_manager', { 'if-match': '"1"' });
    expect(v2.statusCode, v2.body).toBe(200);
    expect(v2.json()).toMatchObject({ templateVersion: 2, version: 2 });
    const versions = await db().selectFrom('change_template_versions').select('template_version').where('template_id', '=', res.json().id).orderBy('template_version').execute();
    expect(versions.map((v) => v.template_version)).toEqual([1, 2]);
    expect((await req('GET', `/api/v1/changes/${c1.json().id}`)).json().template).toMatchObject({ version: 1 });
    const c2 = await req('POST', '/api/v1/changes', { type: 'standard', templateId: res.json().id, services: ['cdn'] }, 'developer');
    expect(c2.statusCode, c2.body).toBe(201);
    expect(c2.json().template).toMatchObject({ version: 2 });

    const list = await req('GET', '/api/v1/change-templates?limit=1', undefined, 'viewer');
    expect(list.json()).toMatchObject({ items: [{ key: 'dns-record' }], nextCursor: null });
  });

  it('refuses templates naming unknown services or environments, duplicate keys, and writes by developers', async () => {
    await rejected(() => req('POST', '/api/v1/change-templates', { key: 'bad-one', name: 'Bad', definition: { services: ['nope'] } }), 422, 'unknown_reference', 'definition.services');
    await rejected(() => req('POST', '/api/v1/change-templates', { key: 'bad-one', name: 'Bad', definition: { environments: ['mars'] } }), 422, 'unknown_reference', 'definition.environments');
    await rejected(() => req('POST', '/api/v1/change-templates', { key: 'dns-record', name: 'Again', definition: {} }), 409, 'duplicate_key');
    await rejected(() => req('POST', '/api/v1/change-templates', { key: 'bad-one', name: 'Bad', definition: { maxDurationMinutes: 0 } }), 400, 'validation_failed');
    await rejected(() => req('POST', '/api/v1/change-templates', { key: 'dev-made', name: 'Dev', definition: {} }, 'developer'), 403, 'permission_denied');
  });

  it('a standard change stays inside its template and skips Assess and Authorize', async () => {
    const base = { type: 'standard', templateKey: 'dns-record' };
    await rejected(() => req('POST', '/api/v1/changes', { ...base, services: ['ledger'] }, 'developer'), 422, 'outside_template_scope', 'services');
    await rejected(() => req('POST', '/api/v1/changes', { ...base, environments: ['dev'] }, 'developer'), 422, 'outside_template_scope', 'environments');
    await rejected(() => req('POST', '/api/v1/changes', { ...base, plannedStart: '2030-01-01T10:00:00Z', plannedEnd: '2030-01-01T12:00:00Z' }, 'developer'), 422, 'outside_template_scope', 'plannedEnd');
    await rejected(() => req('POST', '/api/v1/changes', { ...base, templateKey: 'nope' }, 'developer'), 422, 'validation_failed', 'templateKey');
    await rejected(() => req('POST', '/api/v1/changes', { type: 'normal', title: 'x', templateKey: 'dns-record' }, 'developer'), 422, 'validation_failed', 'templateKey');

    const c = (await req('POST', '/api/v1/changes', { ...base, environments: ['staging'] }, 'developer')).json();
    await rejected(() => req('PATCH', `/api/v1/changes/${c.id}`, { environments: ['dev'] }, 'developer'), 422, 'outside_template_scope', 'environments');
    const skip = await rejected(() => req('POST', `/api/v1/changes/${c.id}/transitions`, { to: 'assess' }, 'developer'), 409, 'state_transition_not_allowed');
    expect(skip.allowedNextStates).toEqual([{ name: 'scheduled', value: -2 }, { name: 'canceled', value: 4 }]);
    await rejected(() => req('POST', `/api/v1/changes/${c.id}/transitions`, { to: 'scheduled' }, 'developer'), 422, 'transition_requirements_not_met', 'plannedStart');
    expect((await req('PATCH', `/api/v1/changes/${c.id}`, { plannedStart: '2030-02-01T10:00:00Z', plannedEnd: '2030-02-01T10:45:00Z' }, 'developer')).statusCode).toBe(200);
    for (const to of ['scheduled', 'implement']) {
      const r = await req('POST', `/api/v1/changes/${c.id}/transitions`, { to }, 'developer');
      expect(r.statusCode, r.body).toBe(200);
    }
    const review = await req('POST', `/api/v1/changes/${c.id}/transitions`, { to: 'review', actualStart: '2030-02-01T10:00:00Z', actualEnd: '2030-02-01T10:20:00Z', closeCode: 'successful_with_issues' }, 'developer');
    expect(review.statusCode, review.body).toBe(200);
    const closed = await req('POST', `/api/v1/changes/${c.id}/transitions`, { to: 3 }, 'developer');
    expect(closed.json().state).toEqual({ name: 'closed', value: 3 });

    // an inactive template makes no new changes
    expect((await req('PATCH', '/api/v1/change-templates/dns-record', { active: false })).json().active).toBe(false);
    await rejected(() => req('POST', '/api/v1/changes', base, 'developer'), 422, 'validation_failed', 'templateKey');
    expect((await req('GET', '/api/v1/change-templates?active=false', undefined, 'viewer')).json().items.map((x: { key: string }) => x.key)).toEqual(['dns-record']);
  });
});
