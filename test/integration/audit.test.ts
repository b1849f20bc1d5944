import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/server/lib/canonical-json.js';
import { chainHash, GENESIS_HASH } from '../../src/server/modules/audit/audit.chain.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

describe('canonical JSON', () => {
  it('is independent of key order and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 2, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"z":2}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe.each(targets)('audit chain on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t?.close());

  const verify = () => t.sg.services.audit.verify();
  const rows = async () => {
    await t.sg.services.audit.sealPending({ wait: true });
    return t.sg.database.db.selectFrom('audit_events').selectAll().orderBy('chain_seq').execute();
  };

  it('stays linear under concurrent writers', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => t.request({ method: 'POST', url: '/api/v1/services', body: { key: `svc-${i}`, name: `Service ${i}`, tier: 2 } })),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(40).fill(201));
    const chain = await rows();
    expect(chain[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < chain.length; i++) {
      expect(BigInt(chain[i]!.chain_seq!)).toBe(BigInt(chain[i - 1]!.chain_seq!) + 1n);
      expect(chain[i]!.prev_hash).toBe(chain[i - 1]!.hash);
    }
    expect(chain.filter((e) => e.action === 'service.created')).toHaveLength(40);
    expect(await verify()).toEqual({ ok: true, checked: chain.length, firstInvalid: null });
  });

  it('hashes the previous hash followed by the canonical JSON of the event', async () => {
    const [first] = await rows();
    const event = {
      id: first!.id, at: first!.at.toISOString(), actorId: first!.actor_id, actorName: first!.actor_name, action: first!.action,
      entityType: first!.entity_type, entityId: first!.entity_id, requestId: first!.request_id, diff: first!.diff,
    };
    expect(first!.hash).toBe(chainHash(GENESIS_HASH, event));
  });

  it('writes events unsealed in the transaction and seals them into the chain right after commit', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'sealed-later', name: 'Sealed later', tier: 3 } });
    const id = res.json().id;
    const deadline = Date.now() + 5000;
    let row;
    do {
      row = await t.sg.database.db.selectFrom('audit_events').selectAll().where('entity_id', '=', id).executeTakeFirstOrThrow();
      if (row.hash) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < deadline);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.chain_seq).not.toBeNull();
  });

  it('names the first tampered event when a row is edited in the database', async () => {
    const chain = await rows();
    const victim = chain[Math.floor(chain.length / 2)]!;
    await sql`update audit_events set diff = ${JSON.stringify({ after: { name: 'evil' } })}::jsonb where seq = ${victim.seq}`.execute(t.sg.database.db);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.firstInvalid).toMatchObject({ seq: victim.seq, id: victim.id });
    expect(result.firstInvalid!.reason).toContain('modified');
    expect(result.checked).toBe(chain.findIndex((e) => e.seq === victim.seq));

    const api = await t.request({ method: 'POST', url: '/api/v1/audit/verify', role: 'auditor' });
    expect(api.json()).toMatchObject({ ok: false, firstInvalid: { seq: victim.seq } });
    // restore, then remove an event: the gap is found at the following event
    await sql`update audit_events set diff = ${JSON.stringify(victim.diff)}::jsonb where seq = ${victim.seq}`.execute(t.sg.database.db);
    expect((await verify()).ok).toBe(true);
    await sql`delete from audit_events where seq = ${victim.seq}`.execute(t.sg.database.db);
    const afterDelete = await verify();
    const next = chain[chain.findIndex((e) => e.seq === victim.seq) + 1]!;
    expect(afterDelete.firstInvalid).toMatchObject({ seq: next.seq });
    expect(afterDelete.firstInvalid!.reason).toContain('prev_hash');
  });

  it('filters by entity, actor, action and time, newest first, with a cursor', async () => {
    const svc = (await t.request({ method: 'GET', url: '/api/v1/services/svc-1' })).json();
    await t.request({ method: 'PATCH', url: '/api/v1/services/svc-1', role: 'release_manager', body: { tier: 1 } });
    const byEntity = (await t.request({ method: 'GET', url: `/api/v1/audit?entityType=service&entityId=${svc.id}`, role: 'auditor' })).json().items;
    expect(byEntity.map((e: { action: string }) => e.action)).toEqual(['service.updated', 'service.created']);
    expect(byEntity[0].diff).toEqual({ before: { tier: 2 }, after: { tier: 1 } });
    const byActor = (await t.request({ method: 'GET', url: `/api/v1/audit?actor=${t.users.release_manager.id}`, role: 'auditor' })).json().items;
    expect(byActor.map((e: { action: string }) => e.action)).toEqual(['service.updated', 'token.created']);
    const future = encodeURIComponent(new Date(Date.now() + 3600_000).toISOString());
    expect((await t.request({ method: 'GET', url: `/api/v1/audit?from=${future}`, role: 'auditor' })).json().items).toEqual([]);
    const page1 = (await t.request({ method: 'GET', url: '/api/v1/audit?limit=5&action=service.created', role: 'auditor' })).json();
    const page2 = (await t.request({ method: 'GET', url: `/api/v1/audit?limit=5&action=service.created&cursor=${page1.nextCursor}`, role: 'auditor' })).json();
    expect(Number(page2.items[0].seq)).toBeLessThan(Number(page1.items[4].seq));
    expect((await t.request({ method: 'GET', url: '/api/v1/audit?from=yesterday', role: 'auditor' })).statusCode).toBe(400);
  });

  it('commits the audit event with the change or not at all', async () => {
    const before = (await rows()).length;
    const res = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'svc-1', name: 'Duplicate', tier: 2 } });
    expect(res.statusCode).toBe(409);
    expect((await rows()).length).toBe(before);
  });
});
