import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

describe.each(targets)('services API on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t?.close());

  const create = (body: Record<string, unknown>, role: 'admin' | 'viewer' = 'admin') => t.request({ method: 'POST', url: '/api/v1/services', body, role });
  const count = async () => Number((await t.sg.database.db.selectFrom('services').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  it('creates a service with 201, Location and ETag, and reads it back by id and by key', async () => {
    const team = await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'payments', name: 'Payments' } });
    expect(team.statusCode).toBe(201);
    const res = await create({ key: 'ledger', name: 'Ledger', tier: 1, ownerTeamId: team.json().id, governanceProfile: 'regulated' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(`/api/v1/services/${body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(body).toMatchObject({ key: 'ledger', tier: 1, ownerTeam: { key: 'payments' }, governanceProfile: 'regulated', dependsOn: [], version: 1 });
    const byKey = await t.request({ method: 'GET', url: '/api/v1/services/ledger' });
    const byId = await t.request({ method: 'GET', url: `/api/v1/services/${body.id}` });
    expect(byKey.json()).toEqual(body);
    expect(byId.json()).toEqual(body);
  });

  it('refuses a duplicate key with 409 naming the field, and changes nothing', async () => {
    const before = await count();
    const res = await create({ key: 'ledger', name: 'Other', tier: 2 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'duplicate_key', errors: [{ path: 'key' }] });
    expect(await count()).toBe(before);
  });

  it('names every invalid and unknown field in a 400', async () => {
    const res = await create({ key: 'Bad Key', name: '', tier: 9, colour: 'red' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const paths = res.json().errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['colour', 'key', 'name', 'tier']);
  });

  it('refuses dependencies on unknown services and dependency cycles, showing the cycle', async () => {
    expect((await create({ key: 'payments-api', name: 'Payments API', tier: 1, dependsOn: ['ledger'] })).statusCode).toBe(201);
    expect((await create({ key: 'checkout', name: 'Checkout', tier: 1, dependsOn: ['payments-api'] })).statusCode).toBe(201);
    const unknown = await create({ key: 'orphan', name: 'Orphan', tier: 3, dependsOn: ['nope'] });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('unknown_reference');

    const cycle = await t.request({ method: 'PATCH', url: '/api/v1/services/ledger', body: { dependsOn: ['checkout'] } });
    expect(cycle.statusCode).toBe(422);
    expect(cycle.json().code).toBe('dependency_cycle');
    expect(cycle.json().detail).toContain('ledger → checkout → payments-api → ledger');
    const self = await t.request({ method: 'PATCH', url: '/api/v1/services/ledger', body: { dependsOn: ['ledger'] } });
    expect(self.json().code).toBe('dependency_cycle');
    expect((await t.request({ method: 'GET', url: '/api/v1/services/ledger' })).json().dependsOn).toEqual([]);
  });

  it('refuses to delete a service others depend on, saying by which', async () => {
    const res = await t.request({ method: 'DELETE', url: '/api/v1/services/ledger' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'still_referenced' });
    expect(res.json().detail).toContain('payments-api');
    expect((await t.request({ method: 'GET', url: '/api/v1/services/ledger' })).statusCode).toBe(200);
  });

  it('applies JSON Merge Patch, null clears, and If-Match guards against lost updates', async () => {
    const current = (await t.request({ method: 'GET', url: '/api/v1/services/checkout' })).json();
    const patched = await t.request({
      method: 'PATCH', url: '/api/v1/services/checkout', body: { description: 'Web checkout', tier: 2 },
      headers: { 'if-match': `"${current.version}"`, 'content-type': 'application/merge-patch+json' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ description: 'Web checkout', tier: 2, version: current.version + 1 });
    expect(patched.headers.etag).toBe(`"${current.version + 1}"`);

    const stale = await t.request({ method: 'PATCH', url: '/api/v1/services/checkout', body: { tier: 3 }, headers: { 'if-match': `"${current.version}"` } });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('precondition_failed');

    const cleared = await t.request({ method: 'PATCH', url: '/api/v1/services/checkout', body: { description: null, dependsOn: null } });
    expect(cleared.json()).toMatchObject({ description: '', dependsOn: [], tier: 2 });
  });

  it('paginates with stable cursors in every documented sort order, and rejects forged cursors', async () => {
    for (let i = 0; i < 7; i++) expect((await create({ key: `page-${i}`, name: `Page ${6 - i}`, tier: (i % 4) + 1 })).statusCode).toBe(201);
    const total = await count();
    for (const sort of ['key', '-key', 'name', '-tier', 'updatedAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url = `/api/v1/services?limit=3&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await t.request({ method: 'GET', url, role: 'viewer' });
        expect(res.statusCode).toBe(200);
        const page = res.json();
        seen.push(...page.items.map((s: { key: string }) => s.key));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size).toBe(total);
    }
    const byName = (await t.request({ method: 'GET', url: '/api/v1/services?limit=200&sort=-name' })).json().items.map((s: { name: string }) => s.name);
    expect(byName).toEqual([...byName].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));

    expect((await t.request({ method: 'GET', url: '/api/v1/services?cursor=not-a-cursor' })).json().code).toBe('invalid_cursor');
    const other = (await t.request({ method: 'GET', url: '/api/v1/services?limit=1&sort=name' })).json().nextCursor;
    expect((await t.request({ method: 'GET', url: `/api/v1/services?cursor=${other}&sort=key` })).json().code).toBe('invalid_cursor');
    expect((await t.request({ method: 'GET', url: '/api/v1/services?limit=201' })).statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: '/api/v1/services?sort=colour' })).statusCode).toBe(400);
  });

  it('filters by text, tier and team', async () => {
    const q = (await t.request({ method: 'GET', url: '/api/v1/services?q=PAYMENTS' })).json().items.map((s: { key: string }) => s.key);
    expect(q).toEqual(['payments-api']);
    const team = (await t.request({ method: 'GET', url: '/api/v1/services?team=payments' })).json().items.map((s: { key: string }) => s.key);
    expect(team).toEqual(['ledger']);
    const tier = (await t.request({ method: 'GET', url: '/api/v1/services?tier=4' })).json().items;
    expect(tier.every((s: { tier: number }) => s.tier === 4)).toBe(true);
    expect((await t.request({ method: 'GET', url: '/api/v1/services?q=%25' })).json().items).toEqual([]);
  });

  it('replays the stored response for a repeated Idempotency-Key, and refuses the key for another body', async () => {
    const headers = { 'idempotency-key': 'create-idem-1' };
    const first = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'idem', name: 'Idem', tier: 3 }, headers });
    const before = await count();
    const again = await t.request({ method: 'POST', url: '/api/v1/services', body: { tier: 3, name: 'Idem', key: 'idem' }, headers });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    const other = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'idem-2', name: 'Other', tier: 3 }, headers });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('idempotency_key_reused');
    expect(await count()).toBe(before);
    // keys are per principal: another user may use the same key for its own request
    const mine = await t.request({ method: 'POST', url: '/api/v1/services', role: 'release_manager', body: { key: 'idem-3', name: 'Mine', tier: 3 }, headers });
    expect(mine.statusCode).toBe(201);
  });

  it('deletes an unreferenced service with 204 and audits every step', async () => {
    const created = (await create({ key: 'short-lived', name: 'Short lived', tier: 4 })).json();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/services/${created.id}` })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: `/api/v1/services/${created.id}` })).statusCode).toBe(404);
    const events = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=service&entityId=${created.id}`, role: 'auditor' })).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['service.deleted', 'service.created']);
    expect(events[0].actor.id).toBe(t.users.admin.id);
    expect(events[1].diff.after).toMatchObject({ key: 'short-lived', tier: 4 });
  });

  it('keeps lowercase slug tags as a sorted set: at most 20, null clears, bad ones named', async () => {
    const res = await create({ key: 'tagged', name: 'Tagged', tier: 2, tags: ['pci', 'customer-facing', 'pci'] });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().tags).toEqual(['customer-facing', 'pci']);
    expect((await t.request({ method: 'GET', url: '/api/v1/services/tagged', role: 'viewer' })).json().tags).toEqual(['customer-facing', 'pci']);
    const patched = await t.request({ method: 'PATCH', url: '/api/v1/services/tagged', body: { tags: ['sox'] } });
    expect(patched.json()).toMatchObject({ tags: ['sox'], version: 2 });
    expect((await t.request({ method: 'PATCH', url: '/api/v1/services/tagged', body: { tags: null } })).json().tags).toEqual([]);
    const before = await count();
    const bad = await create({ key: 'bad-tags', name: 'Bad', tier: 2, tags: ['ok', 'Not OK', 'x'.repeat(41)] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['tags.1', 'tags.2']);
    const many = await create({ key: 'many-tags', name: 'Many', tier: 2, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(many.statusCode).toBe(400);
    expect(many.json().errors[0].path).toBe('tags');
    expect(await count()).toBe(before);
    expect((await create({ key: 'untagged', name: 'Untagged', tier: 3 })).json().tags).toEqual([]);
  });

  it('refuses to delete a service or environment a time window names, saying which windows', async () => {
    expect((await create({ key: 'frozen-svc', name: 'Frozen', tier: 2 })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key: 'frozen-env', name: 'Frozen env', tier: 'production', order: 99 } })).statusCode).toBe(201);
    const w = await t.request({
      method: 'POST', url: '/api/v1/windows',
      body: { name: 'Quarter-end freeze', kind: 'freeze', timeZone: 'UTC', start: '2030-03-25T00:00', end: '2030-04-01T00:00', scope: { services: ['frozen-svc'], environments: ['frozen-env'] } },
    });
    expect(w.statusCode, w.body).toBe(201);
    const svc = await t.request({ method: 'DELETE', url: '/api/v1/services/frozen-svc' });
    expect(svc.statusCode).toBe(409);
    expect(svc.json()).toMatchObject({ code: 'still_referenced' });
    expect(svc.json().detail).toContain('Quarter-end freeze');
    const env = await t.request({ method: 'DELETE', url: '/api/v1/environments/frozen-env' });
    expect(env.statusCode).toBe(409);
    expect(env.json().detail).toContain('Quarter-end freeze');
    expect((await t.request({ method: 'DELETE', url: `/api/v1/windows/${w.json().id}` })).statusCode).toBe(204);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/services/frozen-svc' })).statusCode).toBe(204);
    expect((await t.request({ method: 'DELETE', url: '/api/v1/environments/frozen-env' })).statusCode).toBe(204);
  });

  it('returns 404 problems for unknown services and routes', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/services/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found', status: 404 });
    expect((await t.request({ method: 'GET', url: '/api/v1/nothing-here' })).json().code).toBe('not_found');
  });
});
