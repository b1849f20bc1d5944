import type { Db } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Conflict, Forbidden, Invalid, NotFound, Unauthenticated } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditService } from '../audit/audit.service.js';
import type { IdentityRepo, PrincipalRow } from './identity.repo.js';
import type { LoginThrottle } from './login-throttle.js';
import { assertCan, can, isRole, type Actor, type Role } from './permissions.js';
import { dummyPasswordHash, hashPassword, newApiToken, randomToken, sha256, verifyPassword, TOKEN_PREFIX } from './secrets.js';

export const SESSION_TTL_HOURS = 12;

export interface Credentials {
  kind: 'session' | 'token';
  actor: Actor;
  sessionId?: string;
  csrfToken?: string;
}

export interface NewUser {
  email: string;
  name: string;
  password?: string | null;
  /** A precomputed argon2 hash (seeding many users with one password costs one hash). */
  passwordHash?: string;
  roles: Role[];
  serviceAccount?: boolean;
}

const toActor = (row: PrincipalRow, requestId: string | null): Actor => ({
  kind: 'user',
  id: row.user_id,
  name: row.name,
  roles: row.roles.filter(isRole),
  teamIds: row.team_ids,
  serviceAccount: row.is_service_account,
  requestId,
});

export function createIdentityService(deps: { db: Db; repo: IdentityRepo; audit: AuditService; throttle: LoginThrottle; clock: Clock }) {
  const { db, repo, audit, throttle, clock } = deps;

  async function createUser(actor: Actor, input: NewUser) {
    assertCan(actor, 'user:create');
    if (input.password != null && input.password.length < 12) {
      throw new Invalid('validation_failed', 'The password must have at least 12 characters.', [{ path: 'password', message: 'at least 12 characters' }]);
    }
    const passwordHash = input.passwordHash ?? (input.password ? await hashPassword(input.password) : null);
    return db.transaction().execute(async (tx) => {
      if (await repo.emailExists(tx, input.email)) {
        throw new Conflict('duplicate_key', `A user with the e-mail '${input.email}' already exists.`, { errors: [{ path: 'email', message: 'already taken' }] });
      }
      const id = newId();
      await repo.insertUser(
        tx,
        { id, email: input.email, name: input.name, password_hash: passwordHash, is_service_account: input.serviceAccount ?? false, updated_at: clock.now() },
        input.roles,
      );
      const after = { email: input.email, name: input.name, roles: input.roles, serviceAccount: input.serviceAccount ?? false };
      await audit.record(tx, actor, { action: 'user.created', entityType: 'user', entityId: id, after });
      return { id, ...after };
    });
  }

  return {
    createUser,

    async login(email: string, password: string, ip: string, requestId: string | null) {
      await throttle.assertAllowed(email, ip);
      const user = await repo.userByEmail(db, email);
      const ok = user?.password_hash && !user.disabled_at
        ? await verifyPassword(user.password_hash, password)
        : (await verifyPassword(await dummyPasswordHash(), password), false);
      if (!user || !ok) {
        await throttle.recordFailure(email, ip);
        throw new Unauthenticated('The e-mail or password is not correct.', 'invalid_credentials');
      }
      await throttle.reset(email);
      const secret = randomToken();
      const csrfToken = randomToken(24);
      const expiresAt = new Date(clock.now().getTime() + SESSION_TTL_HOURS * 3600_000);
      const principal = (await repo.principalById(db, user.id))!;
      const actor = toActor(principal, requestId);
      await db.transaction().execute(async (tx) => {
        await repo.insertSession(tx, { id: sha256(secret), user_id: user.id, csrf_token: csrfToken, expires_at: expiresAt });
        await audit.record(tx, actor, { action: 'user.signed_in', entityType: 'user', entityId: user.id, after: { ip } });
      });
      return { secret, csrfToken, expiresAt, actor, email: user.email };
    },

    async logout(sessionId: string): Promise<void> {
      await repo.deleteSession(db, sessionId);
    },

    async authenticateSession(secret: string, requestId: string | null): Promise<Credentials | null> {
      const row = await repo.principalBySession(db, sha256(secret));
      if (!row || row.disabled_at || row.expires_at <= clock.now()) return null;
      return { kind: 'session', actor: toActor(row, requestId), sessionId: row.session_id, csrfToken: row.csrf_token };
    },

    /** Returns null for unknown tokens; throws for known-but-unusable ones so the client learns why. */
    async authenticateToken(token: string, requestId: string | null): Promise<Credentials | null> {
      if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
      const row = await repo.principalByToken(db, sha256(token));
      if (!row) return null;
      const now = clock.now();
      if (row.revoked_at) throw new Unauthenticated('This API token has been revoked.', 'token_revoked');
      if (row.expires_at && row.expires_at <= now) throw new Unauthenticated('This API token has expired.', 'token_expired');
      if (row.disabled_at) throw new Unauthenticated('The account of this API token is disabled.', 'account_disabled');
      // at most one write a minute per token: last-use is for humans, not for accounting
      if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
        void repo.touchToken(db, row.token_id, now).catch(() => undefined);
      }
      return { kind: 'token', actor: toActor(row, requestId) };
    },

    async me(actor: Actor) {
      if (!actor.id) throw new Unauthenticated();
      const row = await repo.principalById(db, actor.id);
      if (!row) throw new Unauthenticated();
      return row;
    },

    async listUsers(actor: Actor, opts: { afterEmail?: { email: string; id: string }; limit: number; q?: string }) {
      assertCan(actor, 'user:read');
      return repo.listUsers(db, opts);
    },

    /**
     * Tokens are shown once: only the SHA-256 is stored. Service-account tokens are for CI and
     * belong to a service-account user; only admins may mint them or tokens for others.
     */
    async createToken(actor: Actor, input: { name: string; expiresInDays: number | null; userId?: string }) {
      assertCan(actor, 'token:create');
      if (!actor.id) throw new Forbidden('Only a user can own a token.');
      const ownerId = input.userId ?? actor.id;
      if (ownerId !== actor.id) assertCan(actor, 'token:manage_all');
      const owner = await repo.principalById(db, ownerId);
      if (!owner) throw new NotFound('user', ownerId);
      const kind = owner.is_service_account ? 'service_account' : 'personal';
      const secret = newApiToken();
      const id = newId();
      const expiresAt = input.expiresInDays == null ? null : new Date(clock.now().getTime() + input.expiresInDays * 86_400_000);
      const row = { id, user_id: ownerId, name: input.name, kind, prefix: secret.slice(0, TOKEN_PREFIX.length + 6), token_hash: sha256(secret), expires_at: expiresAt, created_by: actor.id } as const;
      await db.transaction().execute(async (tx) => {
        await repo.insertToken(tx, row);
        await audit.record(tx, actor, { action: 'token.created', entityType: 'api_token', entityId: id, after: { name: input.name, kind, userId: ownerId, expiresAt: expiresAt?.toISOString() ?? null } });
      });
      const token = (await repo.tokenById(db, id))!;
      return { token: { ...token, user_name: owner.name }, secret };
    },

    async listTokens(actor: Actor, opts: { all: boolean; limit: number; afterId?: string }) {
      assertCan(actor, 'token:read');
      if (opts.all) assertCan(actor, 'token:manage_all');
      return repo.listTokens(db, opts.all ? null : actor.id, opts.limit, opts.afterId);
    },

    async revokeToken(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'token:revoke');
      const token = await repo.tokenById(db, id);
      if (!token || (token.user_id !== actor.id && !can(actor, 'token:manage_all'))) throw new NotFound('API token', id);
      if (token.revoked_at) return;
      await db.transaction().execute(async (tx) => {
        await repo.revokeToken(tx, id, clock.now());
        await audit.record(tx, actor, { action: 'token.revoked', entityType: 'api_token', entityId: id, before: { revokedAt: null }, after: { revokedAt: clock.now().toISOString() } });
      });
    },

    async setPassword(actor: Actor, userId: string, password: string) {
      assertCan(actor, 'user:update');
      if (password.length < 12) throw new Invalid('validation_failed', 'The password must have at least 12 characters.', [{ path: 'password', message: 'at least 12 characters' }]);
      const hash = await hashPassword(password);
      await db.transaction().execute(async (tx) => {
        await repo.setPassword(tx, userId, hash, clock.now());
        await audit.record(tx, actor, { action: 'user.password_set', entityType: 'user', entityId: userId, after: { passwordChanged: true } });
      });
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
