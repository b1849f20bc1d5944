import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import type { TestApp } from '../helpers/app.js';
import { changedTables, documentedOperations, expectProblem, fingerprint, type Operation, startApiTestApp, type TableName } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';
import { insertGate, insertRelease } from '../helpers/release-fixtures.js';

/**
 * Garbage at every documented /api operation (and some that do not exist): random JSON and broken
 * JSON bodies, wrong content types, nasty path parameters, random query strings and headers.
 * Invariants: never a 5xx; every error is an application/problem+json with a code; a rejected
 * request writes nothing (checked with a fingerprint of every table before and after it).
 */

const NON_EXISTENT: Operation[] = [
  { method: 'GET', path: '/api/v1/nope', bodyProps: [], queryParams: [] },
  { method: 'POST', path: '/api/v1/services/{ref}/nope', bodyProps: [], queryParams: [] },
  { method: 'PUT', path: '/api/v1/services/{ref}', bodyProps: ['name'], queryParams: [] },
  { method: 'DELETE', path: '/api/v1/audit', bodyProps: [], queryParams: [] },
  { method: 'PATCH', path: '/api/v1/tokens/{id}', bodyProps: ['name'], queryParams: [] },
  { method: 'GET', path: '/api/v2/services', bodyProps: [], queryParams: [] },
  { method: 'GET', path: '/api', bodyProps: [], queryParams: [] },
];
const PUBLIC = new Set(['POST /api/v1/auth/login', 'POST /api/v1/auth/logout']);

const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff\ud800', '💥🚀', 'ǅ\u0301\u200b', '\u202eevil', 'null', 'true', '-1', '0', '1e400', 'NaN', 'Infinity',
  '../../etc/passwd', "' or 1=1 --", '"; drop table services; --', '%', '%00', '%zz', '<script>alert(1)</script>', '${jndi:ldap://x}',
  '__proto__', 'constructor', '2024-02-30T25:61:00Z', '9999-12-31T23:59:59+14:00', '00000000-0000-0000-0000-000000000000',
];
const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 200, maxLength: 600 }) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/) }, // looks like a valid key
);
const ascii = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const forgedCursor = fc
  .record(
    {
      k: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.constant(null), fc.constantFrom('1', '99999999999999999999', '2024-01-01T00:00:00Z', 'a\u0000')),
      id: fc.oneof(fc.uuid(), fc.string({ maxLength: 20 })),
      s: fc.constantFrom('key', 'name', 'tier', 'updatedAt', 'order', 'email', 'seq', 'id', 'zzz'),
    },
    { requiredKeys: ['k', 'id'] },
  )
  .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));

/** Valid-ish path segment or garbage, already encoded for the URL. */
function segment(known: string[]) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(nastyString, fc.uuid(), ascii(30)).map(encodeSegment) },
    { weight: 2, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '%00', '..', '.', 'a%2Fb', '%C0%AF', 'x'.repeat(201), 'y'.repeat(99), '%FF%FE') },
  );
}
function encodeSegment(s: string): string {
  try {
    return encodeURIComponent(s) || '%20';
  } catch {
    return encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '?')) || '%20';
  }
}

function queryString(params: string[]) {
  const name = fc.oneof(fc.constantFrom(...params, 'limit', 'cursor', 'sort', 'q', 'unknown', 'limit[]', '__proto__', 'all', 'from', 'to'), ascii(12));
  const value = fc.oneof(
    nastyString,
    forgedCursor,
    fc.constantFrom('0', '-1', '1', '200', '201', '1.5', 'abc', ' 5', '0x10', '1e3', 'key', '-key', 'name', '-updatedAt', 'tier', '-tier', 'bogus', 'true', 'false', 'production'),
    fc.integer().map(String),
  );
  return fc.oneof(
    { weight: 5, arbitrary: fc.array(fc.tuple(name, value), { maxLength: 5 }).map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs.map(([k, v]) => [k, v.replace(/[\ud800-\udfff]/g, '?')])).toString()}` : '')) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?%', '?a=%zz', '?&&&', '?limit', '?=', '?cursor=%00', '?limit=1&limit=2', '?sort[]=key', '?q=%00') },
  );
}

const jsonish = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 4, 5, 10_001, 2 ** 31, 2 ** 53 + 1, 1e308, -0)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 'production', 'testing', ['viewer'], ['admin', 'admin']) },
);

/** The documented body fields with garbage values, sometimes plus unknown fields. */
const fieldsBody = (props: string[]) =>
  fc
    .tuple(
      props.length ? fc.record(Object.fromEntries(props.map((p) => [p, jsonish])), { requiredKeys: [] }) : fc.constant({}),
      fc.option(fc.dictionary(ascii(10), jsonish, { maxKeys: 2 }), { nil: undefined }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/merge-patch+json', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz', 'application/octet-stream', 'application/json; charset=utf-16le', 'application/problem+json', '*/*', 'json', 'application/json; charset=utf-8; charset=latin1',
];

function body(props: string[]) {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fieldsBody(props).map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('{', '{"a":', '[1,', 'nul', '{"key": "a"}}', '\u0000', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}', '', '   ', '{"a":1,"a":2}', '1'.repeat(400))) },
    { weight: 1, arbitrary: fc.constant('[' .repeat(5000)) },
  );
}

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

function requestFor(op: Operation, known: string[]) {
  const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  return fc
    .record({
      segments: fc.tuple(...params.map(() => segment(known)), fc.constant('')),
      query: queryString(op.queryParams),
      payload: body(op.bodyProps),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
      ifMatch: fc.option(fc.oneof(fc.constantFrom('"1"', '*', 'W/"1"', '"999999999999"', 'garbage', '"-1"', 'x'.repeat(101)), ascii(20)), { nil: undefined }),
      idempotencyKey: fc.option(fc.oneof(ascii(40), fc.constantFrom('fixed-key-1', 'fixed-key-2', 'k'.repeat(256))), { nil: undefined }),
      requestId: fc.option(ascii(140), { nil: undefined }),
    })
    .map(({ segments, query, payload, contentType, ifMatch, idempotencyKey, requestId }): Sent => {
      let i = 0;
      const path = op.path.replace(/\{\w+\}/g, () => segments[i++]!);
      const headers: Record<string, string> = {};
      if (payload !== undefined) headers['content-type'] = contentType ?? 'application/json';
      else if (contentType !== undefined) headers['content-type'] = contentType;
      if (ifMatch !== undefined) headers['if-match'] = ifMatch;
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      if (requestId !== undefined) headers['x-request-id'] = requestId;
      return { method: op.method, url: path + query, headers, payload };
    });
}

describe.each(targets)('fuzzing the API on %s', (kind) => {
  let t: TestApp;
  let ops: Operation[];
  let known: string[];

  beforeAll(async () => {
    t = await startApiTestApp(kind);
    ops = [...(await documentedOperations(t)), ...NON_EXISTENT];
    const actor = systemActor('fixture');
    const team = await t.sg.services.teams.create(actor, { key: 'fuzz-team', name: 'Fuzz team' });
    const svc = await t.sg.services.services.create(actor, { key: 'fuzz-svc', name: 'Fuzz service', tier: 2, ownerTeamId: team.id });
    const env = await t.sg.services.environments.create(actor, { key: 'fuzz-env', name: 'Fuzz env', tier: 'staging', order: 5 });
    const tok = await t.sg.services.identity.createToken({ ...actor, id: t.users.admin.id }, { name: 'fuzz', expiresInDays: 1, userId: t.users.admin.id });
    const rel = await insertRelease(t.sg.database.db, { key: 'fuzz-rel', status: 'planned' });
    const gate = await insertGate(t.sg.database.db, rel.id, { criteria: [{ kind: 'manual_signoff' }, { kind: 'custom_check', config: { name: 'rate', min: 98 } }, { kind: 'all_scope_done' }] });
    const item = await t.sg.services.workItems.create(actor, { source: 'jira', externalKey: 'FUZZ-1', type: 'bug', title: 'Fuzz item', statusCategory: 'todo', releaseId: rel.id });
    const tpl = await t.sg.services.releaseTemplates.create(actor, { key: 'fuzz-tpl', name: 'Fuzz template', definition: { phases: [{ key: 'build', name: 'Build', environments: [env.key], defaultDurationDays: 3 }], gates: [{ key: 'exit', name: 'Exit', afterPhase: 'build' }] } });
    const train = await t.sg.services.releases.create(actor, { key: 'fuzz-train', name: 'Fuzz train', type: 'enterprise', templateId: tpl.id, plannedStart: '2030-01-01T00:00:00Z' });
    await t.sg.services.releases.create(actor, { key: 'fuzz-child', name: 'Fuzz child', type: 'project', parentId: train.id, dependsOn: [train.key] });
    known = ['fuzz-tpl', train.key, train.id, 'fuzz-child', 'build', 'exit', team.key, team.id, svc.key, svc.id, env.key, env.id, tok.token.id, t.users.developer.id, t.users.admin.id, rel.key, rel.id, gate.id, gate.criteria[1]!.id, item.id, 'jira', 'FUZZ-1'];
  });
  afterAll(async () => {
    await t?.close();
  });

  const db = () => t.sg.database.db;

  async function send(s: Sent, token: string | null): Promise<LightMyRequestResponse> {
    return t.sg.app.inject({
      method: s.method as 'GET',
      url: s.url,
      headers: { ...s.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(s.payload !== undefined ? { payload: s.payload } : {}),
    });
  }

  /** Sends one request and checks the invariants; returns the status. */
  async function check(op: Operation, s: Sent, token: string | null): Promise<number> {
    const before = await fingerprint(db());
    const res = await send(s, token);
    const what = `${s.method} ${s.url} ${JSON.stringify(s.headers)} ${s.payload?.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    expect(res.statusCode, what).toBeLessThan(500);
    expect(res.headers['x-request-id'], what).toBeTruthy();
    if (!token && !PUBLIC.has(`${op.method} ${op.path}`)) expect(res.statusCode, `anonymous got through: ${what}`).toBeGreaterThanOrEqual(400);
    if (res.statusCode >= 400) {
      expectProblem(res);
      // allowed side effects of a rejected request: the idempotency record of a request that
      // carried a key, and the failed-sign-in counter of the login endpoint
      const allowed: TableName[] = [];
      if (s.headers['idempotency-key'] !== undefined) allowed.push('idempotency_keys');
      if (op.path === '/api/v1/auth/login') allowed.push('rate_limits');
      const changed = changedTables(before, await fingerprint(db())).filter((x) => !allowed.includes(x));
      expect(changed, `a rejected request wrote: ${what}`).toEqual([]);
    }
    return res.statusCode;
  }

  const anyRequest = () => fc.constantFrom(...ops).chain((op) => requestFor(op, known).map((s) => [op, s] as const));

  it('as an admin: no 5xx, problem+json errors, no write on rejection', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(anyRequest(), async ([op, s]) => {
        const status = await check(op, s, t.tokens.admin);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
      { numRuns: 250 },
    );
    // the generator must reach past validation sometimes, or the property says little
    expect([...statuses.keys()].some((st) => st < 300), JSON.stringify([...statuses])).toBe(true);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
  });

  it('as anonymous and as a viewer: never through, no 5xx, no write', async () => {
    await fc.assert(
      fc.asyncProperty(anyRequest(), fc.constantFrom(null, 'viewer' as const), async ([op, s], who) => {
        await check(op, s, who ? t.tokens[who] : null);
      }),
      { numRuns: 120 },
    );
  });

  it('every documented operation survives a fixed set of nasty inputs', async () => {
    for (const op of ops) {
      for (const seg of ['%00', encodeURIComponent('a\u0000'), '%E0%A4%A', 'x'.repeat(250), encodeURIComponent('💥'), '00000000-0000-0000-0000-000000000000']) {
        const url = op.path.replace(/\{\w+\}/g, seg);
        for (const payload of [undefined, '{', '{"x":1}', JSON.stringify({ name: 'a\u0000b', key: 'k\u0000' }), 'null']) {
          const s: Sent = { method: op.method, url: `${url}?q=%00&cursor=%00`, headers: payload === undefined ? {} : { 'content-type': 'application/json' }, payload };
          await check(op, s, t.tokens.admin);
        }
      }
    }
    // ~30 requests per operation with two fingerprints each: the work grows with the API, so no 60 s default
  }, 300_000);

  describe('explicit cases', () => {
    // own fixtures: the random requests above may well have deleted or changed the fuzz-* ones
    beforeAll(async () => {
      const actor = systemActor('fixture');
      const team = await t.sg.services.teams.create(actor, { key: 'exp-team', name: 'Explicit team' });
      await t.sg.services.services.create(actor, { key: 'exp-svc', name: 'Explicit service', tier: 2, ownerTeamId: team.id });
      await t.sg.services.environments.create(actor, { key: 'exp-env', name: 'Explicit env', tier: 'staging', order: 5 });
    });

    const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      t.request({ method: 'POST', url, body: payload, headers });

    it('an oversize body is 413 payload_too_large and writes nothing', async () => {
      const before = await fingerprint(db());
      const big = JSON.stringify({ key: 'big-one', name: 'Big', tier: 1, description: 'x'.repeat(1024 * 1024 + 10) });
      expectProblem(await post('/api/v1/services', big), 413, 'payload_too_large');
      expectProblem(await t.request({ method: 'PATCH', url: '/api/v1/services/exp-svc', body: big }), 413, 'payload_too_large');
      expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    });

    it('malformed JSON is 400 malformed_json', async () => {
      for (const payload of ['{', '{"key": "a",}', "{'key': 'a'}", '{"key": "a"} trailing', '\u0000']) {
        expectProblem(await post('/api/v1/teams', payload), 400, 'malformed_json');
      }
      expectProblem(await t.request({ method: 'PATCH', url: '/api/v1/teams/exp-team', body: '{"name":', headers: { 'content-type': 'application/merge-patch+json' } }), 400, 'malformed_json');
      // a JSON content type with an empty body
      expectProblem(await t.request({ method: 'POST', url: '/api/v1/teams', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
    });

    it('a wrong content type is refused', async () => {
      const res = await post('/api/v1/teams', 'key=x&name=y', { 'content-type': 'application/x-www-form-urlencoded' });
      expectProblem(res, 415, 'unsupported_media_type');
    });

    it('unknown fields are 400 validation_failed naming them, on every create and patch', async () => {
      const cases: [string, string, Record<string, unknown>][] = [
        ['POST', '/api/v1/services', { key: 'unk-svc', name: 'x', tier: 1 }],
        ['PATCH', '/api/v1/services/exp-svc', { name: 'x' }],
        ['POST', '/api/v1/environments', { key: 'unk-env', name: 'x', tier: 'testing', order: 1 }],
        ['PATCH', '/api/v1/environments/exp-env', { name: 'x' }],
        ['POST', '/api/v1/teams', { key: 'unk-team', name: 'x' }],
        ['PATCH', '/api/v1/teams/exp-team', { name: 'x' }],
        ['POST', `/api/v1/teams/exp-team/members`, { userId: t.users.viewer.id }],
        ['POST', '/api/v1/users', { email: 'unk@example.com', name: 'x', roles: ['viewer'] }],
        ['POST', '/api/v1/tokens', { name: 'x' }],
        ['POST', '/api/v1/auth/login', { email: 'admin@test.shipgate.dev', password: 'whatever-it-is' }],
      ];
      for (const [method, url, valid] of cases) {
        const before = await fingerprint(db());
        const res = await t.request({ method, url, body: { ...valid, tierr: 1, 'weird key': true } });
        const p = expectProblem(res, 400, 'validation_failed');
        expect(p.errors?.map((e) => e.path).sort(), url).toEqual(['tierr', 'weird key']);
        expect(changedTables(before, await fingerprint(db())), url).toEqual([]);
      }
    });

    it('an invalid cursor is 400 invalid_cursor on every list', async () => {
      const lists = ['/api/v1/services', '/api/v1/environments', '/api/v1/teams', '/api/v1/users', '/api/v1/tokens', '/api/v1/audit'];
      const cursors = ['garbage', Buffer.from('{"k":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url'), Buffer.from(JSON.stringify({ k: 'a', id: 'not-a-uuid' })).toString('base64url')];
      for (const url of lists) {
        for (const cursor of cursors) expectProblem(await t.request({ method: 'GET', url: `${url}?cursor=${cursor}` }), 400, 'invalid_cursor');
      }
      // a real cursor used with another sort order
      const page = await t.request({ method: 'GET', url: '/api/v1/users?limit=1' });
      const next = (page.json() as { nextCursor: string }).nextCursor;
      expect(next).toBeTruthy();
      expect((await t.request({ method: 'GET', url: `/api/v1/users?limit=1&cursor=${next}` })).statusCode).toBe(200);
      expectProblem(await t.request({ method: 'GET', url: `/api/v1/services?cursor=${next}` }), 400, 'invalid_cursor');
    });

    it('bad limit and sort values are 400 validation_failed', async () => {
      for (const q of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=1.5', 'sort=bogus', 'sort=--key', 'unknownParam=1']) {
        const p = expectProblem(await t.request({ method: 'GET', url: `/api/v1/services?${q}` }), 400, 'validation_failed');
        expect(p.errors?.length, q).toBeGreaterThan(0);
      }
    });

    it('an unknown id or key is 404 not_found', async () => {
      const uuid = '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee';
      for (const base of ['/api/v1/services', '/api/v1/environments', '/api/v1/teams']) {
        for (const ref of [uuid, 'no-such-thing']) {
          const before = await fingerprint(db());
          expectProblem(await t.request({ method: 'GET', url: `${base}/${ref}` }), 404, 'not_found');
          expectProblem(await t.request({ method: 'PATCH', url: `${base}/${ref}`, body: { name: 'x' } }), 404, 'not_found');
          expectProblem(await t.request({ method: 'DELETE', url: `${base}/${ref}` }), 404, 'not_found');
          expect(changedTables(before, await fingerprint(db()))).toEqual([]);
        }
      }
      expectProblem(await t.request({ method: 'DELETE', url: `/api/v1/tokens/${uuid}` }), 404, 'not_found');
      expectProblem(await post('/api/v1/teams/no-such-team/members', { userId: t.users.viewer.id }), 404, 'not_found');
      expectProblem(await t.request({ method: 'DELETE', url: `/api/v1/teams/exp-team/members/${uuid}` }), 404, 'not_found');
      expectProblem(await t.request({ method: 'GET', url: '/api/v1/no-such-route' }), 404, 'not_found');
    });

    it('a duplicate key is 409 duplicate_key and writes nothing', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['/api/v1/services', { key: 'exp-svc', name: 'Again', tier: 1 }],
        ['/api/v1/environments', { key: 'exp-env', name: 'Again', tier: 'testing', order: 1 }],
        ['/api/v1/teams', { key: 'exp-team', name: 'Again' }],
      ];
      for (const [url, payload] of cases) {
        const before = await fingerprint(db());
        const p = expectProblem(await post(url, payload), 409, 'duplicate_key');
        expect(p.errors?.[0]?.path).toBe('key');
        expect(changedTables(before, await fingerprint(db())), url).toEqual([]);
      }
      // users are unique by e-mail, case-insensitively
      const before = await fingerprint(db());
      expectProblem(await post('/api/v1/users', { email: 'VIEWER@test.shipgate.dev', name: 'Dup', roles: ['viewer'] }), 409, 'duplicate_key');
      expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    });

    it('Idempotency-Key: same key and body replays the first response; another body is 422', async () => {
      const key = `idem-${kind}-${Date.now()}`;
      const payload = { key: `idem-svc-${kind}`, name: 'Idempotent', tier: 3 };
      const first = await post('/api/v1/services', payload, { 'idempotency-key': key });
      expect(first.statusCode, first.body).toBe(201);
      const afterFirst = await fingerprint(db());

      const again = await post('/api/v1/services', payload, { 'idempotency-key': key });
      expect(again.statusCode).toBe(201);
      expect(again.body).toBe(first.body);
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.headers.etag).toBe(first.headers.etag);
      expect(again.headers['idempotent-replayed']).toBe('true');
      // the same body with its keys in another order is the same request
      const reordered = await post('/api/v1/services', { tier: 3, name: 'Idempotent', key: `idem-svc-${kind}` }, { 'idempotency-key': key });
      expect(reordered.statusCode).toBe(201);
      expect(reordered.body).toBe(first.body);
      expect(changedTables(afterFirst, await fingerprint(db()))).toEqual([]);

      const other = await post('/api/v1/services', { ...payload, name: 'Something else' }, { 'idempotency-key': key });
      expectProblem(other, 422, 'idempotency_key_reused');
      const otherPath = await post('/api/v1/teams', { key: 'idem-team', name: 'x' }, { 'idempotency-key': key });
      expectProblem(otherPath, 422, 'idempotency_key_reused');
      expect(changedTables(afterFirst, await fingerprint(db()))).toEqual([]);

      // keys are per principal: another user may use the same key for their own request
      const mine = await t.request({ method: 'POST', url: '/api/v1/tokens', role: 'viewer', body: { name: 'viewer-idem' }, headers: { 'idempotency-key': key } });
      expect(mine.statusCode, mine.body).toBe(201);

      // a rejected request is replayed as rejected, and still writes nothing but its key
      const dupKey = `${key}-dup`;
      const dup = await post('/api/v1/services', { key: 'exp-svc', name: 'Dup', tier: 1 }, { 'idempotency-key': dupKey });
      expectProblem(dup, 409, 'duplicate_key');
      const dupAgain = await post('/api/v1/services', { key: 'exp-svc', name: 'Dup', tier: 1 }, { 'idempotency-key': dupKey });
      expect(dupAgain.statusCode).toBe(409);
      expect(dupAgain.body).toBe(dup.body);

      expectProblem(await post('/api/v1/teams', { key: 'idem-team-2', name: 'x' }, { 'idempotency-key': 'k'.repeat(256) }), 400, 'invalid_idempotency_key');
    });
  });
});
