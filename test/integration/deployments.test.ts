import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';
import { insertRelease } from '../helpers/release-fixtures.js';

type Role = 'admin' | 'release_manager' | 'developer' | 'viewer';

describe.each(targets)('deployments and the inventory on %s', (kind) => {
  let t: TestApp;
  let n = 0;
  const actor = systemActor('test');
  const uniq = (prefix: string) => `${prefix}-${(n++).toString(36)}`;
  const db = () => t.sg.database.db;

  beforeAll(async () => {
    t = await startTestApp(kind);
    const team = await t.sg.services.teams.create(actor, { key: 'payments-team', name: 'Payments team' });
    await t.sg.services.services.create(actor, { key: 'checkout', name: 'Checkout', tier: 1, ownerTeamId: team.id });
    await t.sg.services.environments.create(actor, { key: 'staging', name: 'Staging', tier: 'staging', order: 20 });
    await t.sg.services.environments.create(actor, { key: 'production', name: 'Production', tier: 'production', order: 30 });
  });
  afterAll(async () => t?.close());

  const report = (body: Record<string, unknown>, role: Role | null = 'developer') => t.request({ method: 'POST', url: '/api/v1/deployments', body, role });
  const patch = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => t.request({ method: 'PATCH', url: `/api/v1/deployments/${id}`, body, headers, role: 'developer' });
  const get = (url: string, role: Role = 'viewer') => t.request({ method: 'GET', url, role });
  const service = async (key = uniq('svc')) => (await t.sg.services.services.create(actor, { key, name: `Service ${key}`, tier: 2 })).key;
  const inventoryOf = async (serviceKey: string) => (await get(`/api/v1/inventory?service=${serviceKey}`)).json().services[0];
  /** The deployment tables are not in the shared fingerprint: hash them here. */
  const ownTables = async () =>
    (await sql<{ h: string }>`select (select count(*) from deployments)::text || (select coalesce(md5(string_agg(d::text, '|' order by d.id)), '') from deployments d)
      || (select coalesce(md5(string_agg(c::text, '|' order by c.deployment_id, c.sha)), '') from deployment_commits c)
      || (select coalesce(md5(string_agg(i::text, '|' order by i.service_id, i.environment_id)), '') from environment_inventory i)
      || (select count(*) from service_aliases)::text || (select count(*) from environment_aliases)::text as h`.execute(db())).rows[0]!.h;

  it('reports a deployment (201, Location, ETag), reads, lists and patches it', async () => {
    const svc = await service();
    const rel = await insertRelease(db(), { key: uniq('rel') });
    const change = await t.sg.services.changes.create(actor, { type: 'normal', title: 'Ship it' });
    const res = await report({
      service: svc, environment: 'staging', version: '1.2.0', artifact: 'registry.example.com/shop:1.2.0', startedAt: '2026-03-01T10:00:00+01:00',
      commits: [{ sha: 'ABCDEF1234567', author: 'ana', message: 'Fix rounding\n\nDetails', committedAt: '2026-03-01T08:00:00Z' }],
      pipelineRunId: '4711', pipelineUrl: 'https://ci.example.com/runs/4711', release: rel.key, change: change.number,
    });
    expect(res.statusCode, res.body).toBe(201);
    const d = res.json();
    expect(res.headers.location).toBe(`/api/v1/deployments/${d.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(d).toMatchObject({
      service: { key: svc }, serviceRef: svc, environment: { key: 'staging' }, environmentRef: 'staging', matched: true, deployedVersion: '1.2.0', status: 'in_progress',
      startedAt: '2026-03-01T09:00:00.000Z', finishedAt: null, durationSeconds: null, source: 'api', externalId: null, release: { id: rel.id, key: rel.key },
      change: { id: change.id, number: change.number }, reportedBy: { id: t.users.developer.id }, version: 1,
      commits: [{ sha: 'abcdef1234567', author: 'ana', message: 'Fix rounding\n\nDetails', committedAt: '2026-03-01T08:00:00.000Z' }],
    });
    expect((await get(`/api/v1/deployments/${d.id}`)).json()).toEqual(d);

    expectProblem(await patch(d.id, { status: 'succeeded' }, { 'if-match': '"7"' }), 412, 'precondition_failed');
    const done = await patch(d.id, { status: 'succeeded', finishedAt: '2026-03-01T09:05:30Z', commits: [{ sha: 'abcdef1234567' }, { sha: '1234567890abcdef' }] }, { 'if-match': '"1"' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.headers.etag).toBe('"2"');
    expect(done.json()).toMatchObject({ status: 'succeeded', finishedAt: '2026-03-01T09:05:30.000Z', durationSeconds: 330, version: 2 });
    // merged by sha: the known one keeps its author and message
    expect(done.json().commits.map((c: { sha: string; author: string | null }) => [c.sha, c.author])).toEqual([['abcdef1234567', 'ana'], ['1234567890abcdef', null]]);

    const list = await get(`/api/v1/deployments?service=${svc}&environment=staging&status=succeeded&release=${rel.key}&change=${change.number}`);
    expect(list.json().items.map((x: { id: string }) => x.id)).toEqual([d.id]);
    expect((await get(`/api/v1/deployments?service=${svc}&status=failed`)).json().items).toEqual([]);
    expect((await get('/api/v1/deployments?release=no-such-release')).json().items).toEqual([]);
  });

  it('lists newest first (finish, else start, else report time) with from/to and a cursor', async () => {
    const svc = await service();
    const times = ['2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z', '2026-01-02T00:00:00Z'];
    const ids: string[] = [];
    for (const [i, at] of times.entries()) {
      const body = i === 1 ? { startedAt: at } : { status: 'succeeded', finishedAt: at };
      ids.push((await report({ service: svc, environment: 'staging', version: `0.${i}`, ...body })).json().id);
    }
    const page1 = (await get(`/api/v1/deployments?service=${svc}&limit=2`)).json();
    expect(page1.items.map((x: { id: string }) => x.id)).toEqual([ids[1], ids[2]]);
    const page2 = (await get(`/api/v1/deployments?service=${svc}&limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const ranged = (await get(`/api/v1/deployments?service=${svc}&from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z`)).json();
    expect(ranged.items.map((x: { id: string }) => x.id)).toEqual([ids[2]]);
    const forged = Buffer.from(JSON.stringify({ k: 'not a time', id: ids[0] })).toString('base64url');
    expectProblem(await get(`/api/v1/deployments?cursor=${forged}`), 400, 'invalid_cursor');
  });

  it('is idempotent by (source, externalId): 201 then 200 on the same row, commits merged', async () => {
    const svc = await service();
    const first = await report({ service: svc, environment: 'staging', version: '3.0.0', source: 'github', externalId: 'run-1', commits: [{ sha: 'aaaaaaa' }] });
    expect(first.statusCode, first.body).toBe(201);
    const second = await report({ service: svc, environment: 'staging', version: '3.0.0', source: 'github', externalId: 'run-1', status: 'succeeded', commits: [{ sha: 'bbbbbbb' }] });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json().id, status: 'succeeded', version: 2 });
    expect(second.json().finishedAt).not.toBeNull(); // terminal without finishedAt: finished at the report
    expect(second.json().commits.map((c: { sha: string }) => c.sha).sort()).toEqual(['aaaaaaa', 'bbbbbbb']);
    // the very same report again changes nothing
    const before = await ownTables();
    const again = await report({ service: svc, environment: 'staging', version: '3.0.0', source: 'github', externalId: 'run-1', status: 'succeeded', commits: [{ sha: 'bbbbbbb' }] });
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(2);
    expect(await ownTables()).toBe(before);
    // the same externalId from another source is another deployment
    expect((await report({ service: svc, environment: 'staging', version: '3.0.0', source: 'gitlab', externalId: 'run-1' })).statusCode).toBe(201);
    expect((await get(`/api/v1/deployments?service=${svc}`)).json().items).toHaveLength(2);
  });

  it('keeps a correct record when "finished" arrives before "started"', async () => {
    const svc = await service();
    const base = { service: svc, environment: 'production', version: '4.0.0', source: 'cdevents', externalId: uniq('ev') };
    const finished = await report({ ...base, status: 'succeeded', finishedAt: '2026-04-01T12:10:00Z' });
    expect(finished.statusCode, finished.body).toBe(201);
    const started = await report({ ...base, status: 'in_progress', startedAt: '2026-04-01T12:00:00Z' });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({ status: 'succeeded', startedAt: '2026-04-01T12:00:00.000Z', finishedAt: '2026-04-01T12:10:00.000Z', durationSeconds: 600 });
    expect((await inventoryOf(svc)).cells.production).toEqual({ version: '4.0.0', since: '2026-04-01T12:10:00.000Z', deploymentId: finished.json().id });
    // a start after the finish is a mistake
    const p = expectProblem(await report({ ...base, startedAt: '2026-04-01T13:00:00Z' }), 422, 'invalid_times');
    expect(p.errors?.[0]?.path).toBe('startedAt');
  });

  it('refuses terminal → another terminal (409, with the allowed statuses), except succeeded → rolled_back', async () => {
    const svc = await service();
    const failed = (await report({ service: svc, environment: 'staging', version: '1', status: 'failed' })).json();
    const p1 = expectProblem(await patch(failed.id, { status: 'succeeded' }), 409, 'invalid_status_change');
    expect(p1.allowed).toEqual([]);
    const ok = (await report({ service: svc, environment: 'staging', version: '2', status: 'succeeded', source: 'cli', externalId: uniq('x') })).json();
    const p2 = expectProblem(await report({ service: svc, environment: 'staging', version: '2', status: 'failed', source: 'cli', externalId: ok.externalId }), 409, 'invalid_status_change');
    expect(p2.allowed).toEqual(['rolled_back']);
    const rolled = await patch(ok.id, { status: 'rolled_back' });
    expect(rolled.statusCode, rolled.body).toBe(200);
    expect(rolled.json()).toMatchObject({ status: 'rolled_back', finishedAt: ok.finishedAt });
    // a lower rank keeps the status
    expect((await patch(ok.id, { status: 'queued' })).json().status).toBe('rolled_back');
  });

  it('reverts the inventory to the previous succeeded version on a rollback', async () => {
    const svc = await service();
    const v1 = (await report({ service: svc, environment: 'production', version: '1.0.0', status: 'succeeded', finishedAt: '2026-05-01T10:00:00Z' })).json();
    const v2 = (await report({ service: svc, environment: 'production', version: '1.1.0', status: 'succeeded', finishedAt: '2026-05-02T10:00:00Z' })).json();
    // a late report of an older success does not move the inventory backwards
    await report({ service: svc, environment: 'production', version: '0.9.0', status: 'succeeded', finishedAt: '2026-04-30T10:00:00Z' });
    expect((await inventoryOf(svc)).cells.production).toMatchObject({ version: '1.1.0', deploymentId: v2.id });
    await patch(v2.id, { status: 'rolled_back' });
    const inv = await inventoryOf(svc);
    expect(inv.cells.production).toEqual({ version: '1.0.0', since: '2026-05-01T10:00:00.000Z', deploymentId: v1.id });
    expect(inv.last.production).toMatchObject({ id: v2.id, version: '1.1.0', status: 'rolled_back' });
  });

  it('shows the inventory with drift in words, filtered by service, team and drift', async () => {
    await report({ service: 'checkout', environment: 'staging', version: '2.4.1', status: 'succeeded', finishedAt: '2026-06-02T10:00:00Z' });
    await report({ service: 'checkout', environment: 'production', version: '2.3.9', status: 'succeeded', finishedAt: '2026-06-01T10:00:00Z' });
    const inv = (await get('/api/v1/inventory?team=payments-team')).json();
    expect(inv.environments).toEqual([{ key: 'staging', name: 'Staging', tier: 'staging', order: 20 }, { key: 'production', name: 'Production', tier: 'production', order: 30 }]);
    expect(inv.services).toHaveLength(1);
    expect(inv.services[0]).toMatchObject({
      key: 'checkout', name: 'Checkout', tier: 1, team: { key: 'payments-team' }, drift: true, driftDetail: 'staging runs 2.4.1, production 2.3.9',
      cells: { staging: { version: '2.4.1' }, production: { version: '2.3.9' } }, last: { staging: { version: '2.4.1', status: 'succeeded' } },
    });
    const drifting = (await get('/api/v1/inventory?drift=true')).json().services.map((s: { key: string }) => s.key);
    expect(drifting).toContain('checkout');
    const same = await service();
    await report({ service: same, environment: 'staging', version: '5', status: 'succeeded' });
    await report({ service: same, environment: 'production', version: '5', status: 'succeeded' });
    expect(await inventoryOf(same)).toMatchObject({ drift: false, driftDetail: null });
    expect(drifting).not.toContain(same);
    expect((await get('/api/v1/inventory?service=no-such-service')).json().services).toEqual([]);
  });

  it('lists the history of a pair, newest first, with since and until', async () => {
    const svc = await service();
    const at = (d: number) => `2026-07-0${d}T10:00:00.000Z`;
    const ids: string[] = [];
    for (const d of [1, 2, 3]) ids.push((await report({ service: svc, environment: 'production', version: `${d}.0`, status: 'succeeded', finishedAt: at(d) })).json().id);
    await report({ service: svc, environment: 'production', version: '9.9', status: 'failed', finishedAt: at(4) });
    const h = (await get(`/api/v1/inventory/history?service=${svc}&environment=production&limit=2`)).json();
    expect(h.items.map((e: { version: string; since: string; until: string | null }) => [e.version, e.since, e.until])).toEqual([['3.0', at(3), null], ['2.0', at(2), at(3)]]);
    expect(h.items[0].deployment.id).toBe(ids[2]);
    const rest = (await get(`/api/v1/inventory/history?service=${svc}&environment=production&limit=2&cursor=${h.nextCursor}`)).json();
    expect(rest.items.map((e: { version: string; until: string }) => [e.version, e.until])).toEqual([['1.0', at(2)]]);
    expectProblem(await get(`/api/v1/inventory/history?service=no-such&environment=production`), 404, 'not_found');
    expectProblem(await get(`/api/v1/inventory/history?service=${svc}`), 400, 'validation_failed');
  });

  it('keeps unknown services unmatched, lists them, and maps them (alias for later reports)', async () => {
    const res = await report({ service: 'legacy-billing', environment: 'staging', version: '7.1', status: 'succeeded', finishedAt: '2026-08-01T10:00:00Z' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ service: null, serviceRef: 'legacy-billing', environment: { key: 'staging' }, matched: false });
    const unknownEnv = (await report({ service: 'checkout', environment: 'qa-7', version: '2.5.0' })).json();
    const unmatched = (await get('/api/v1/deployments?unmatched=true')).json().items.map((d: { id: string }) => d.id);
    expect(unmatched).toEqual(expect.arrayContaining([res.json().id, unknownEnv.id]));
    expect((await get('/api/v1/deployments?service=legacy-billing')).json().items.map((d: { id: string }) => d.id)).toEqual([res.json().id]);

    const billing = await service('billing');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/deployments/unmatched/map', body: { serviceRef: 'legacy-billing', service: billing }, role: 'developer' }), 403, 'permission_denied');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/deployments/unmatched/map', body: { serviceRef: 'legacy-billing', service: 'nope' }, role: 'release_manager' }), 422, 'unknown_reference');
    expectProblem(await t.request({ method: 'POST', url: '/api/v1/deployments/unmatched/map', body: { serviceRef: 'legacy-billing', environment: 'staging' }, role: 'release_manager' }), 400, 'validation_failed');
    const mapped = await t.request({ method: 'POST', url: '/api/v1/deployments/unmatched/map', body: { serviceRef: 'legacy-billing', service: billing }, role: 'release_manager' });
    expect(mapped.statusCode, mapped.body).toBe(200);
    expect(mapped.json()).toEqual({ mapped: 1 });
    expect((await get(`/api/v1/deployments/${res.json().id}`)).json()).toMatchObject({ service: { key: billing }, serviceRef: 'legacy-billing', matched: true, version: 2 });
    expect((await inventoryOf(billing)).cells.staging).toMatchObject({ version: '7.1', deploymentId: res.json().id });
    // the alias makes the next report match
    const next = await report({ service: 'legacy-billing', environment: 'staging', version: '7.2', status: 'succeeded', finishedAt: '2026-08-02T10:00:00Z' });
    expect(next.json()).toMatchObject({ service: { key: billing }, matched: true });
    expect((await inventoryOf(billing)).cells.staging.version).toBe('7.2');

    const env = await t.request({ method: 'POST', url: '/api/v1/deployments/unmatched/map', body: { environmentRef: 'qa-7', environment: 'staging' }, role: 'admin' });
    expect(env.json()).toEqual({ mapped: 1 });
    expect((await get('/api/v1/deployments?unmatched=true')).json().items.map((d: { id: string }) => d.id)).not.toContain(unknownEnv.id);
  });

  it('refuses bad input and changes nothing', async () => {
    const svc = await service();
    const good = { service: svc, environment: 'staging', version: '1.0.0' };
    const before = await fingerprint(db());
    const own = await ownTables();
    const missing = expectProblem(await report({ service: svc, environment: 'staging' }), 400, 'validation_failed');
    expect(missing.errors?.map((e) => e.path)).toEqual(['version']);
    expect(expectProblem(await report({ ...good, commits: [{ sha: 'xyz' }] }), 400, 'validation_failed').errors?.[0]?.path).toBe('commits.0.sha');
    for (const pipelineUrl of ['javascript:alert(1)', 'ftp://ci.example.com/1', 'not a url']) expectProblem(await report({ ...good, pipelineUrl }), 400, 'validation_failed');
    expectProblem(await report({ ...good, status: 'done' }), 400, 'validation_failed');
    expectProblem(await report({ ...good, source: 'jenkins' }), 400, 'validation_failed');
    expectProblem(await report({ ...good, colour: 'red' }), 400, 'validation_failed');
    expectProblem(await report({ ...good, startedAt: '2026-02-30T10:00:00Z' }), 400, 'validation_failed');
    expect(expectProblem(await report({ ...good, release: 'no-such-release' }), 422, 'unknown_reference').errors?.[0]?.path).toBe('release');
    expect(expectProblem(await report({ ...good, change: 'CHG9999999' }), 422, 'unknown_reference').errors?.[0]?.path).toBe('change');
    expectProblem(await patch('0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee', { status: 'succeeded' }), 404, 'not_found');
    expectProblem(await get('/api/v1/deployments/not-a-uuid'), 400, 'validation_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    expect(await ownTables()).toBe(own);
  });

  it('keeps a service or environment with deployments from being deleted (409 still_referenced)', async () => {
    const svc = await service();
    const env = (await t.sg.services.environments.create(actor, { key: uniq('env'), name: 'Doomed', tier: 'testing', order: 40 })).key;
    await report({ service: svc, environment: env, version: '1', status: 'succeeded' });
    const p1 = expectProblem(await t.request({ method: 'DELETE', url: `/api/v1/services/${svc}` }), 409, 'still_referenced');
    expect(p1.detail).toContain('1 deployment(s)');
    expectProblem(await t.request({ method: 'DELETE', url: `/api/v1/environments/${env}` }), 409, 'still_referenced');
  });

  it('needs credentials (401) and the permission (403)', async () => {
    const svc = await service();
    const body = { service: svc, environment: 'staging', version: '1' };
    expectProblem(await report(body, null), 401);
    expectProblem(await report(body, 'viewer'), 403, 'permission_denied');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/inventory', role: null }), 401);
    expect((await get('/api/v1/inventory', 'viewer')).statusCode).toBe(200);
    expect((await report(body, 'release_manager')).statusCode).toBe(201);
  });

  it('stores one deployment for concurrent reports of the same externalId', async () => {
    const svc = await service();
    const externalId = uniq('race');
    const results = await Promise.all(
      ['queued', 'in_progress', 'succeeded', 'in_progress', 'queued'].map((status, i) =>
        report({ service: svc, environment: 'production', version: '8.0', status, source: 'gitlab', externalId, commits: [{ sha: `${i}abcdef0` }] })),
    );
    expect(results.map((r) => r.statusCode).sort(), results.map((r) => r.body).join('\n')).toEqual([200, 200, 200, 200, 201]);
    const rows = await db().selectFrom('deployments').select(['id', 'status']).where('external_id', '=', externalId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('succeeded');
    expect((await get(`/api/v1/deployments/${rows[0]!.id}`)).json().commits).toHaveLength(5);
    expect((await inventoryOf(svc)).cells.production).toMatchObject({ version: '8.0', deploymentId: rows[0]!.id });
  });
});
