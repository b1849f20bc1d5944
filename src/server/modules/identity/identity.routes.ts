import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, CSRF_COOKIE, SESSION_COOKIE } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { IdParams, pageOf } from '../../http/route-helpers.js';
import { toPage } from '../../lib/cursor.js';
import { cursorFor } from '../../lib/keyset.js';
import type { Db } from '../../db/tx.js';
import type { TeamsRepo } from '../teams/teams.repo.js';
import { ApiToken, LoginBody, Me, TokenCreate, TokenCreated, TokenListQuery, User, UserCreate, UserListQuery } from './identity.schemas.js';
import type { IdentityService } from './identity.service.js';
import { isRole, permissionsOf } from './permissions.js';

type TokenRow = Awaited<ReturnType<IdentityService['listTokens']>>[number];
const presentToken = (t: TokenRow): z.infer<typeof ApiToken> => ({
  id: t.id, name: t.name, kind: t.kind, prefix: t.prefix, userId: t.user_id, userName: t.user_name,
  expiresAt: t.expires_at?.toISOString() ?? null, lastUsedAt: t.last_used_at?.toISOString() ?? null,
  revokedAt: t.revoked_at?.toISOString() ?? null, createdAt: t.created_at.toISOString(),
});

export function identityRoutes(app: FastifyInstance, deps: { identity: IdentityService; teams: TeamsRepo; db: Db; secureCookies: boolean }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { identity } = deps;
  const cookieBase = { path: '/', sameSite: 'lax' as const, secure: deps.secureCookies };

  r.post('/api/v1/auth/login', {
    config: { public: true, ignoreCredentials: true },
    schema: { tags: ['auth'], operationId: 'login', summary: 'Sign in with e-mail and password (sets the session cookie)', body: LoginBody, response: { 200: z.object({ user: Me }), ...commonErrors } },
  }, async (req, reply) => {
    const session = await identity.login(req.body.email, req.body.password, req.ip, req.id);
    const maxAge = Math.floor((session.expiresAt.getTime() - Date.now()) / 1000);
    reply.setCookie(SESSION_COOKIE, session.secret, { ...cookieBase, httpOnly: true, maxAge });
    reply.setCookie(CSRF_COOKIE, session.csrfToken, { ...cookieBase, httpOnly: false, maxAge });
    const me = await identity.me(session.actor);
    return { user: await presentMe(me) };
  });

  r.post('/api/v1/auth/logout', {
    config: { public: true },
    schema: { tags: ['auth'], operationId: 'logout', response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    if (req.credentials?.sessionId) await identity.logout(req.credentials.sessionId);
    reply.clearCookie(SESSION_COOKIE, { path: '/' }).clearCookie(CSRF_COOKIE, { path: '/' });
    return reply.status(204).send(null);
  });

  async function presentMe(row: Awaited<ReturnType<IdentityService['me']>>): Promise<z.infer<typeof Me>> {
    const roles = row.roles.filter(isRole);
    const teams = (await Promise.all(row.team_ids.map((id) => deps.teams.find(deps.db, id)))).filter((t) => t !== undefined);
    return {
      id: row.user_id, email: row.email, name: row.name, roles, serviceAccount: row.is_service_account,
      teams: teams.map((t) => ({ id: t.id, key: t.key, name: t.name })), permissions: permissionsOf(roles),
    };
  }

  r.get('/api/v1/auth/me', {
    config: { permission: 'profile:read' },
    schema: { tags: ['auth'], operationId: 'currentUser', response: { 200: Me, ...commonErrors } },
  }, async (req) => presentMe(await identity.me(actorOf(req))));

  r.get('/api/v1/users', {
    config: { permission: 'user:read' },
    schema: { tags: ['users'], operationId: 'listUsers', querystring: UserListQuery, response: { 200: pageOf(User), ...commonErrors } },
  }, async (req) => {
    const c = cursorFor(req.query.cursor, 'email');
    const rows = await identity.listUsers(actorOf(req), { limit: req.query.limit + 1, q: req.query.q, afterEmail: c ? { email: String(c.k), id: c.id } : undefined });
    return toPage(rows, req.query.limit, (u) => ({ k: u.email, id: u.id, s: 'email' }), (u) => ({
      id: u.id, email: u.email, name: u.name, roles: u.roles.filter(isRole), teamIds: u.team_ids,
      serviceAccount: u.is_service_account, disabled: u.disabled_at !== null, createdAt: u.created_at.toISOString(),
    }));
  });

  r.post('/api/v1/users', {
    config: { permission: 'user:create' },
    schema: { tags: ['users'], operationId: 'createUser', body: UserCreate, response: { 201: z.object({ id: z.string(), email: z.string(), name: z.string(), roles: z.array(z.string()), serviceAccount: z.boolean() }), ...commonErrors } },
  }, async (req, reply) => {
    const user = await identity.createUser(actorOf(req), { ...req.body, password: req.body.password ?? null });
    return reply.status(201).header('location', `/api/v1/users/${user.id}`).send(user);
  });

  r.get('/api/v1/tokens', {
    config: { permission: 'token:read' },
    schema: { tags: ['tokens'], operationId: 'listTokens', querystring: TokenListQuery, response: { 200: pageOf(ApiToken), ...commonErrors } },
  }, async (req) => {
    const c = cursorFor(req.query.cursor, 'id');
    const rows = await identity.listTokens(actorOf(req), { all: req.query.all ?? false, limit: req.query.limit + 1, afterId: c?.id });
    return toPage(rows, req.query.limit, (t) => ({ k: null, id: t.id, s: 'id' }), presentToken);
  });

  r.post('/api/v1/tokens', {
    config: { permission: 'token:create' },
    schema: { tags: ['tokens'], operationId: 'createToken', summary: 'Create an API token (the secret is returned once)', body: TokenCreate, response: { 201: TokenCreated, ...commonErrors } },
  }, async (req, reply) => {
    const { token, secret } = await identity.createToken(actorOf(req), req.body);
    return reply.status(201).header('location', `/api/v1/tokens/${token.id}`).send({ token: presentToken(token), secret });
  });

  r.delete('/api/v1/tokens/:id', {
    config: { permission: 'token:revoke' },
    schema: { tags: ['tokens'], operationId: 'revokeToken', params: IdParams, response: { 204: z.null(), ...commonErrors } },
  }, async (req, reply) => {
    await identity.revokeToken(actorOf(req), req.params.id);
    return reply.status(204).send(null);
  });
}
