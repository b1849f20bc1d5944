import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';
import { insertRelease, planRelease, type FixtureRelease } from '../helpers/release-fixtures.js';

describe.each(targets)('work items API on %s', (kind) => {
  let t: TestApp;
  let draft: FixtureRelease;
  let other: FixtureRelease;
  beforeAll(async () => {
    t = await startTestApp(kind);
    draft = await insertRelease(t.sg.database.db, { key: 'shop-2-0', name: 'Shop', version: '2.0.0' });
    other = await insertRelease(t.sg.database.db, { key: 'shop-2-1', name: 'Shop next' });
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const create = (body: Record<string, unknown>, role: 'admin' | 'developer' | 'viewer' = 'developer') => t.request({ method: 'POST', url: '/api/v1/work-items', body, role });
  const item = (externalKey: string, extra: Record<string, unknown> = {}) => ({ source: 'jira', externalKey, type: 'story', title: `Item ${externalKey}`, statusCategory: 'todo', ...extra });
  const scopeChanges = (releaseId: string) => db().selectFrom('release_scope_changes').selectAll().where('release_id', '=', releaseId).orderBy('at').execute();

  it('creates a work item with 201, Location and ETag, attached to a release by key', async () => {
    const res = await create(item('PAY-1', { url: 'https://jira.example.com/browse/PAY-1', release: 'shop-2-0', assignee: 'ana', status: 'Open' }));
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/work-items/${body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(body).toMatchObject({ source: 'jira', externalKey: 'PAY-1', type: 'story', statusCategory: 'todo', status: 'Open', assignee: 'ana', blocking: false, release: { key: 'shop-2-0' }, version: 1 });
    expect((await t.request({ method: 'GET', url: `/api/v1/work-items/${body.id}`, role: 'viewer' })).json()).toEqual(body);
    // a draft release: the addition is recorded, not as scope creep
    const changes = await scopeChanges(draft.id);
    expect(changes.map((c) => [c.change, c.scope_creep])).toEqual([['added', false]]);
  });

  it('refuses a duplicate (source, externalKey) with 409 duplicate_key and changes nothing', async () => {
    const before = await fingerprint(db());
    const res = await create(item('PAY-1', { title: 'Again' }));
    const p = expectProblem(res, 409, 'duplicate_key');
    expect(p.errors?.[0]?.path).toBe('externalKey');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    // the same key from another source is another item
    expect((await create(item('PAY-1', { source: 'github' }))).statusCode).toBe(201);
  });

  it('names every bad field in a 400 and writes nothing', async () => {
    const before = await fingerprint(db());
    const bad = await create({ source: 'Jira!', externalKey: '', url: 'javascript:alert(1)', type: '', title: 'x\u0000', statusCategory: 'finished', colour: 'red' });
    const p = expectProblem(bad, 400, 'validation_failed');
    expect(p.errors!.map((e) => e.path).sort()).toEqual(['colour', 'externalKey', 'source', 'statusCategory', 'title', 'type', 'url']);
    for (const url of ['ftp://example.com/x', 'mailto:a@example.com', 'not a url']) expectProblem(await create(item('URL-1', { url })), 400, 'validation_failed');
    const unknownRelease = await create(item('REL-1', { release: 'no-such-release' }));
    expect(expectProblem(unknownRelease, 422, 'unknown_reference').errors?.[0]?.path).toBe('release');
    expectProblem(await create(item('REL-2', { releaseId: '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee' })), 422, 'unknown_reference');
    expectProblem(await create(item('REL-3', { releaseId: draft.id, release: 'shop-2-0' })), 422, 'conflicting_fields');
    expectProblem(await create(item('PERM-1'), 'viewer'), 403, 'permission_denied');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('upserts by (source, externalKey): 201 then 200, fields left out keep their value', async () => {
    const url = '/api/v1/work-items/by-key/github/' + encodeURIComponent('acme/shop#42');
    const first = await t.request({ method: 'PUT', url, role: 'developer', body: { type: 'bug', title: 'Crash on checkout', statusCategory: 'in_progress', releaseId: draft.id } });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ source: 'github', externalKey: 'acme/shop#42', release: { key: 'shop-2-0' } });
    const second = await t.request({ method: 'PUT', url, role: 'developer', body: { type: 'bug', title: 'Crash on checkout (iOS)', statusCategory: 'done' }, headers: { 'if-match': '"1"' } });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json().id, title: 'Crash on checkout (iOS)', statusCategory: 'done', release: { key: 'shop-2-0' }, version: 2 });
    // unchanged: no new version, no write
    const before = await fingerprint(db());
    const same = await t.request({ method: 'PUT', url, role: 'developer', body: { type: 'bug', title: 'Crash on checkout (iOS)', statusCategory: 'done' } });
    expect(same.json().version).toBe(2);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    expectProblem(await t.request({ method: 'PUT', url, body: { type: 'bug', title: 'x', statusCategory: 'done' }, headers: { 'if-match': '"1"' } }), 412, 'precondition_failed');
    expectProblem(await t.request({ method: 'PUT', url: '/api/v1/work-items/by-key/github/new-one', body: { type: 'bug', title: 'x', statusCategory: 'done' }, headers: { 'if-match': '"3"' } }), 412, 'precondition_failed');
    expectProblem(await t.request({ method: 'PUT', url: '/api/v1/work-items/by-key/Bad%20Source/x', body: { type: 'bug', title: 'x', statusCategory: 'done' } }), 400, 'validation_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('moving between releases records a removal and an addition; scope creep only after planning', async () => {
    await planRelease(db(), other.id);
    const created = (await create(item('MOVE-1', { releaseId: draft.id }))).json();
    const moved = await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, role: 'developer', body: { release: 'shop-2-1' }, headers: { 'if-match': '"1"' } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ release: { key: 'shop-2-1' }, version: 2 });
    const fromDraft = (await scopeChanges(draft.id)).filter((c) => c.work_item_id === created.id);
    expect(fromDraft.map((c) => [c.change, c.scope_creep])).toEqual([['added', false], ['removed', false]]);
    const intoPlanned = (await scopeChanges(other.id)).filter((c) => c.work_item_id === created.id);
    expect(intoPlanned.map((c) => [c.change, c.scope_creep])).toEqual([['added', true]]);

    const scope = await t.request({ method: 'GET', url: '/api/v1/releases/shop-2-1/scope', role: 'viewer' });
    expect(scope.statusCode, scope.body).toBe(200);
    expect(scope.json().scopeCreep).toMatchObject([{ change: 'added', workItem: { externalKey: 'MOVE-1' }, actor: { id: t.users.developer.id } }]);
    // detaching from the planned release is creep too
    const detached = await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { releaseId: null } });
    expect(detached.json().release).toBeNull();
    const creep = (await t.request({ method: 'GET', url: `/api/v1/releases/${other.id}/scope` })).json().scopeCreep;
    expect(creep.map((c: { change: string }) => c.change)).toEqual(['removed', 'added']);
  });

  it('PATCH: merge patch, null clears, stale If-Match is 412, unknown id 404, nothing written on rejection', async () => {
    const created = (await create(item('PATCH-1', { assignee: 'bo', blocking: true, status: 'Open' }))).json();
    const patched = await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { assignee: null, status: null, blocking: null, statusCategory: 'in_progress' }, headers: { 'content-type': 'application/merge-patch+json' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ assignee: null, status: '', blocking: false, statusCategory: 'in_progress', title: 'Item PATCH-1', version: 2 });
    const before = await fingerprint(db());
    expectProblem(await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { title: 'x' }, headers: { 'if-match': '"1"' } }), 412, 'precondition_failed');
    expectProblem(await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { source: 'github' } }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { title: null } }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'PATCH', url: `/api/v1/work-items/${created.id}`, body: { release: 'nope' } }), 422, 'unknown_reference');
    expectProblem(await t.request({ method: 'PATCH', url: '/api/v1/work-items/0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee', body: { title: 'x' } }), 404, 'not_found');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/work-items/not-a-uuid' }), 400, 'validation_failed');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('lists with filters and stable cursor pagination', async () => {
    for (let i = 0; i < 6; i++) expect((await create(item(`LIST-${i}`, { type: i % 2 ? 'bug' : 'feature', statusCategory: i < 2 ? 'done' : 'todo', releaseId: other.id }))).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request({ method: 'GET', url: `/api/v1/work-items?release=shop-2-1&limit=4&sort=-externalKey${cursor ? `&cursor=${cursor}` : ''}`, role: 'viewer' });
      expect(res.statusCode, res.body).toBe(200);
      seen.push(...res.json().items.map((w: { externalKey: string }) => w.externalKey));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual(['LIST-5', 'LIST-4', 'LIST-3', 'LIST-2', 'LIST-1', 'LIST-0']);
    const keys = async (q: string) => (await t.request({ method: 'GET', url: `/api/v1/work-items?${q}&limit=200` })).json().items.map((w: { externalKey: string }) => w.externalKey);
    expect(await keys(`release=${other.id}&statusCategory=done`)).toEqual(['LIST-0', 'LIST-1']);
    expect(await keys('release=shop-2-1&type=bug')).toEqual(['LIST-1', 'LIST-3', 'LIST-5']);
    expect(await keys('q=list-4')).toEqual(['LIST-4']);
    expect(await keys('source=github')).toEqual(['PAY-1', 'acme/shop#42']);
    expect(await keys('release=no-such-release')).toEqual([]);
    expect((await keys('release=none')).includes('PATCH-1')).toBe(true);
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/work-items?statusCategory=finished' }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/work-items?cursor=garbage' }), 400, 'invalid_cursor');
  });

  it('scope groups and counts items by status category', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/releases/shop-2-1/scope' });
    const scope = res.json();
    expect(scope.counts).toEqual({ total: 6, todo: 4, inProgress: 0, done: 2, openBlockers: 0 });
    expect(scope.groups.done.map((w: { externalKey: string }) => w.externalKey)).toEqual(['LIST-0', 'LIST-1']);
    expect(scope.groups.todo).toHaveLength(4);
    expect(scope.truncated).toBe(false);
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/releases/no-such-release/scope' }), 404, 'not_found');
  });

  it('release notes group by type in a fixed order, as JSON and as Markdown', async () => {
    await create(item('NOTE-1', { type: 'feature', title: 'One-click *checkout*', statusCategory: 'done', url: 'https://jira.example.com/browse/NOTE-1', releaseId: draft.id }));
    const json = await t.request({ method: 'GET', url: '/api/v1/releases/shop-2-0/notes', role: 'viewer' });
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers['content-type']).toContain('application/json');
    const notes = json.json();
    expect(notes.release).toMatchObject({ key: 'shop-2-0', version: '2.0.0' });
    expect(notes.sections.map((s: { type: string }) => s.type)).toEqual(['feature', 'story', 'bug']);
    expect(notes.sections[0].items).toEqual([{ source: 'jira', externalKey: 'NOTE-1', title: 'One-click *checkout*', url: 'https://jira.example.com/browse/NOTE-1', done: true }]);

    const md = await t.request({ method: 'GET', url: '/api/v1/releases/shop-2-0/notes?format=markdown' });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.body).toContain('# Shop 2.0.0');
    expect(md.body.indexOf('## Features')).toBeLessThan(md.body.indexOf('## Stories'));
    expect(md.body.indexOf('## Stories')).toBeLessThan(md.body.indexOf('## Bug fixes'));
    expect(md.body).toContain('- [NOTE-1](<https://jira.example.com/browse/NOTE-1>) One-click \\*checkout\\*');
    expect(md.body).toContain('_(not done)_');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/releases/shop-2-0/notes?format=pdf' }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'GET', url: '/api/v1/releases/nope/notes?format=markdown' }), 404, 'not_found');
  });

  it('deletes with 204, records the removal, and audits every step', async () => {
    const created = (await create(item('DEL-1', { releaseId: other.id }))).json();
    expectProblem(await t.request({ method: 'DELETE', url: `/api/v1/work-items/${created.id}`, headers: { 'if-match': '"7"' } }), 412, 'precondition_failed');
    expect((await t.request({ method: 'DELETE', url: `/api/v1/work-items/${created.id}`, role: 'developer' })).statusCode).toBe(204);
    expectProblem(await t.request({ method: 'GET', url: `/api/v1/work-items/${created.id}` }), 404, 'not_found');
    const last = (await scopeChanges(other.id)).at(-1)!;
    expect([last.change, last.scope_creep, last.work_item_id]).toEqual(['removed', true, null]);
    const events = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=work_item&entityId=${created.id}`, role: 'auditor' })).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['work_item.deleted', 'work_item.created']);
    expect(events[1].diff.after).toMatchObject({ externalKey: 'DEL-1', release: 'shop-2-1' });
    const jobs = await db().selectFrom('pgboss.job' as never).select('data' as never).where('name' as never, '=', 'domain-events' as never).execute();
    const types = (jobs as { data: { type: string; entityId: string } }[]).map((j) => j.data.type);
    expect(types).toContain('work_item.deleted');
    expect(types).toContain('release.scope_changed');
  });
});
