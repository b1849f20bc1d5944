import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/server/modules/identity/secrets.js';
import { startTestApp, TEST_PASSWORD, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

const cookiesOf = (res: { cookies: { name: string; value: string }[] }) => Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

describe.each(targets)('sign-in, sessions and tokens on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { config: { login: { maxFailures: 3, windowSeconds: 900 } } });
  });
  afterAll(async () => t?.close());

  const login = (email: string, password: string, ip = '10.0.0.1') =>
    t.sg.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

  it('signs in with a session cookie (HttpOnly, SameSite=Lax) and a readable CSRF cookie', async () => {
    const res = await login(t.users.release_manager.email.toUpperCase(), TEST_PASSWORD);
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ email: t.users.release_manager.email, roles: ['release_manager'] });
    expect(res.json().user.permissions).toContain('service:create');
    const session = res.cookies.find((c) => c.name === 'sg_session')!;
    const csrf = res.cookies.find((c) => c.name === 'sg_csrf')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(csrf.httpOnly).toBeFalsy();
    // only the hash of the session secret is stored
    const stored = await t.sg.database.db.selectFrom('sessions').select('id').where('id', '=', sha256(session.value)).executeTakeFirst();
    expect(stored).toBeDefined();
  });

  it('accepts the session for reads, and for writes only with the CSRF header', async () => {
    const c = cookiesOf(await login(t.users.release_manager.email, TEST_PASSWORD));
    const cookie = `sg_session=${c.sg_session}`;
    const me = await t.sg.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } });
    expect(me.json().email).toBe(t.users.release_manager.email);
    const body = { key: 'via-session', name: 'Via session', tier: 3 };
    const noCsrf = await t.sg.app.inject({ method: 'POST', url: '/api/v1/services', headers: { cookie }, payload: body });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf_failed');
    const wrongCsrf = await t.sg.app.inject({ method: 'POST', url: '/api/v1/services', headers: { cookie, 'x-csrf-token': 'guess' }, payload: body });
    expect(wrongCsrf.statusCode).toBe(403);
    const ok = await t.sg.app.inject({ method: 'POST', url: '/api/v1/services', headers: { cookie, 'x-csrf-token': c.sg_csrf! }, payload: body });
    expect(ok.statusCode).toBe(201);

    const forged = await t.sg.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    expect(forged.statusCode).toBe(403);
    const out = await t.sg.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, 'x-csrf-token': c.sg_csrf! } });
    expect(out.statusCode).toBe(204);
    expect((await t.sg.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('gives the same answer for an unknown e-mail and a wrong password', async () => {
    const unknown = await login('nobody@test.shipgate.dev', 'whatever-password', '10.0.0.2');
    const wrong = await login(t.users.viewer.email, 'wrong-password', '10.0.0.2');
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().code).toBe('invalid_credentials');
    expect(wrong.json().detail).toBe(unknown.json().detail);
  });

  it('rate-limits failed sign-ins per account with 429 and Retry-After, even with the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await login(t.users.auditor.email, 'wrong-password', '10.0.0.3')).statusCode).toBe(401);
    const blocked = await login(t.users.auditor.email, TEST_PASSWORD, '10.0.0.3');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // other accounts are unaffected
    expect((await login(t.users.developer.email, TEST_PASSWORD, '10.0.0.4')).statusCode).toBe(200);
  });

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/tokens', role: 'developer', body: { name: 'ci', expiresInDays: 30 } });
    expect(created.statusCode).toBe(201);
    const { token, secret } = created.json();
    expect(secret).toMatch(/^sg_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci', kind: 'personal', userId: t.users.developer.id });
    expect(new Date(token.expiresAt).getTime() - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const row = await t.sg.database.db.selectFrom('api_tokens').selectAll().where('id', '=', token.id).executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    const list = (await t.request({ method: 'GET', url: '/api/v1/tokens', role: 'developer' })).json().items;
    expect(list.map((x: { id: string }) => x.id)).toContain(token.id);
    expect(JSON.stringify(list)).not.toContain(secret);

    expect((await t.request({ method: 'GET', url: '/api/v1/auth/me', token: secret })).statusCode).toBe(200);
    // someone else's token is invisible to a non-admin
    expect((await t.request({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, role: 'viewer' })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/tokens/${token.id}`, role: 'developer' })).statusCode).toBe(204);
    const revoked = await t.request({ method: 'GET', url: '/api/v1/auth/me', token: secret });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().code).toBe('token_revoked');
  });

  it('refuses expired tokens and malformed Authorization headers', async () => {
    const { token, secret } = (await t.request({ method: 'POST', url: '/api/v1/tokens', role: 'viewer', body: { name: 'short' } })).json();
    await t.sg.database.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', token.id).execute();
    const expired = await t.request({ method: 'GET', url: '/api/v1/services', token: secret });
    expect(expired.json().code).toBe('token_expired');
    const basic = await t.sg.app.inject({ method: 'GET', url: '/api/v1/services', headers: { authorization: 'Basic abc' } });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().code).toBe('invalid_authorization');
  });

  it('lets only admins mint tokens for other users such as service accounts', async () => {
    const sa = await t.request({ method: 'POST', url: '/api/v1/users', body: { email: 'jenkins@ci.local', name: 'Jenkins', roles: ['developer'], serviceAccount: true } });
    expect(sa.statusCode).toBe(201);
    const byDev = await t.request({ method: 'POST', url: '/api/v1/tokens', role: 'developer', body: { name: 'x', userId: sa.json().id } });
    expect(byDev.statusCode).toBe(403);
    const byAdmin = await t.request({ method: 'POST', url: '/api/v1/tokens', body: { name: 'jenkins', userId: sa.json().id, expiresInDays: null } });
    expect(byAdmin.statusCode).toBe(201);
    expect(byAdmin.json().token).toMatchObject({ kind: 'service_account', expiresAt: null });
    // a service account has no password: it cannot sign in
    expect((await login('jenkins@ci.local', 'anything-at-all', '10.0.0.9')).statusCode).toBe(401);
  });

  it('echoes a client request id and generates one otherwise', async () => {
    const echoed = await t.request({ method: 'GET', url: '/api/v1/services', headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers['x-request-id']).toBe('trace-123');
    const generated = await t.request({ method: 'GET', url: '/api/v1/services', headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe.each(targets)('environments and teams on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t?.close());

  it('orders environments by their promotion order and defaults production to change-controlled', async () => {
    for (const [key, tier, order] of [['prod', 'production', 50], ['dev', 'development', 10], ['uat', 'testing', 30]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key.toUpperCase(), tier, order } })).statusCode).toBe(201);
    }
    const list = (await t.request({ method: 'GET', url: '/api/v1/environments?limit=2', role: 'viewer' })).json();
    expect(list.items.map((e: { key: string }) => e.key)).toEqual(['dev', 'uat']);
    const next = (await t.request({ method: 'GET', url: `/api/v1/environments?limit=2&cursor=${list.nextCursor}` })).json();
    expect(next.items.map((e: { key: string; changeControlled: boolean }) => [e.key, e.changeControlled])).toEqual([['prod', true]]);
    const bad = await t.request({ method: 'POST', url: '/api/v1/environments', body: { key: 'qa', name: 'QA', tier: 'qa', order: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['order', 'tier']);
    const cc = (await t.request({ method: 'GET', url: '/api/v1/environments?changeControlled=true' })).json().items;
    expect(cc.map((e: { key: string }) => e.key)).toEqual(['prod']);
  });

  it('refuses to delete a team that still owns services, naming them', async () => {
    const team = (await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'web', name: 'Web' } })).json();
    await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'shop', name: 'Shop', tier: 2, ownerTeamId: team.id } });
    const res = await t.request({ method: 'DELETE', url: '/api/v1/teams/web' });
    expect(res.statusCode).toBe(409);
    expect(res.json().detail).toContain('shop');
    const member = await t.request({ method: 'POST', url: '/api/v1/teams/web/members', body: { userId: t.users.developer.id } });
    expect(member.json().items.map((m: { id: string }) => m.id)).toEqual([t.users.developer.id]);
    const me = (await t.request({ method: 'GET', url: '/api/v1/auth/me', role: 'developer' })).json();
    expect(me.teams.map((x: { key: string }) => x.key)).toEqual(['web']);
  });
});
