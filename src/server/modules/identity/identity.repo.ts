import { sql } from 'kysely';
import type { Executor } from '../../db/tx.js';
import type { Role } from './permissions.js';

export interface PrincipalRow {
  user_id: string;
  email: string;
  name: string;
  is_service_account: boolean;
  disabled_at: Date | null;
  roles: string[];
  team_ids: string[];
}

export interface TokenPrincipalRow extends PrincipalRow {
  token_id: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface SessionPrincipalRow extends PrincipalRow {
  session_id: string;
  csrf_token: string;
  expires_at: Date;
}

const rolesOf = sql<string[]>`coalesce((select array_agg(r.role order by r.role)::text[] from user_roles r where r.user_id = u.id), '{}'::text[])`;
const teamsOf = sql<string[]>`coalesce((select array_agg(m.team_id)::text[] from team_members m where m.user_id = u.id), '{}'::text[])`;

export function createIdentityRepo() {
  return {
    async principalByToken(db: Executor, tokenHash: string): Promise<TokenPrincipalRow | undefined> {
      return db
        .selectFrom('api_tokens as t')
        .innerJoin('users as u', 'u.id', 't.user_id')
        .select(['t.id as token_id', 't.expires_at', 't.revoked_at', 't.last_used_at'])
        .select(['u.id as user_id', 'u.email', 'u.name', 'u.is_service_account', 'u.disabled_at'])
        .select([rolesOf.as('roles'), teamsOf.as('team_ids')])
        .where('t.token_hash', '=', tokenHash)
        .executeTakeFirst();
    },

    async principalBySession(db: Executor, sessionHash: string): Promise<SessionPrincipalRow | undefined> {
      return db
        .selectFrom('sessions as s')
        .innerJoin('users as u', 'u.id', 's.user_id')
        .select(['s.id as session_id', 's.csrf_token', 's.expires_at'])
        .select(['u.id as user_id', 'u.email', 'u.name', 'u.is_service_account', 'u.disabled_at'])
        .select([rolesOf.as('roles'), teamsOf.as('team_ids')])
        .where('s.id', '=', sessionHash)
        .executeTakeFirst();
    },

    async principalById(db: Executor, userId: string): Promise<PrincipalRow | undefined> {
      return db
        .selectFrom('users as u')
        .select(['u.id as user_id', 'u.email', 'u.name', 'u.is_service_account', 'u.disabled_at'])
        .select([rolesOf.as('roles'), teamsOf.as('team_ids')])
        .where('u.id', '=', userId)
        .executeTakeFirst();
    },

    async userByEmail(db: Executor, email: string) {
      return db
        .selectFrom('users')
        .selectAll()
        .where(sql`lower(email)`, '=', email.toLowerCase())
        .executeTakeFirst();
    },

    async touchToken(db: Executor, tokenId: string, at: Date): Promise<void> {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', tokenId).execute();
    },

    async insertSession(db: Executor, row: { id: string; user_id: string; csrf_token: string; expires_at: Date }) {
      await db.insertInto('sessions').values(row).execute();
    },

    async deleteSession(db: Executor, id: string): Promise<void> {
      await db.deleteFrom('sessions').where('id', '=', id).execute();
    },

    async deleteExpiredSessions(db: Executor, now: Date): Promise<number> {
      const r = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async insertUser(
      db: Executor,
      row: { id: string; email: string; name: string; password_hash: string | null; is_service_account: boolean; updated_at: Date },
      roles: Role[],
    ) {
      await db.insertInto('users').values(row).execute();
      if (roles.length) await db.insertInto('user_roles').values(roles.map((role) => ({ user_id: row.id, role }))).execute();
    },

    async emailExists(db: Executor, email: string): Promise<boolean> {
      const row = await db.selectFrom('users').select('id').where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
      return row !== undefined;
    },

    async listUsers(db: Executor, opts: { afterEmail?: { email: string; id: string }; limit: number; q?: string }) {
      let q = db
        .selectFrom('users as u')
        .select(['u.id', 'u.email', 'u.name', 'u.is_service_account', 'u.disabled_at', 'u.created_at', 'u.version'])
        .select([rolesOf.as('roles'), teamsOf.as('team_ids')]);
      if (opts.q) q = q.where((eb) => eb.or([eb('u.email', 'ilike', `%${opts.q}%`), eb('u.name', 'ilike', `%${opts.q}%`)]));
      if (opts.afterEmail) {
        const { email, id } = opts.afterEmail;
        q = q.where((eb) => eb.or([eb('u.email', '>', email), eb.and([eb('u.email', '=', email), eb('u.id', '>', id)])]));
      }
      return q.orderBy('u.email').orderBy('u.id').limit(opts.limit).execute();
    },

    async setPassword(db: Executor, userId: string, passwordHash: string, at: Date) {
      await db
        .updateTable('users')
        .set((eb) => ({ password_hash: passwordHash, updated_at: at, version: eb('version', '+', 1) }))
        .where('id', '=', userId)
        .execute();
    },

    async insertToken(
      db: Executor,
      row: { id: string; user_id: string; name: string; kind: 'personal' | 'service_account'; prefix: string; token_hash: string; expires_at: Date | null; created_by: string | null },
    ) {
      await db.insertInto('api_tokens').values(row).execute();
    },

    async listTokens(db: Executor, userId: string | null, limit: number, afterId?: string) {
      let q = db
        .selectFrom('api_tokens as t')
        .innerJoin('users as u', 'u.id', 't.user_id')
        .select(['t.id', 't.user_id', 't.name', 't.kind', 't.prefix', 't.expires_at', 't.last_used_at', 't.revoked_at', 't.created_at', 'u.name as user_name']);
      if (userId) q = q.where('t.user_id', '=', userId);
      if (afterId) q = q.where('t.id', '<', afterId);
      return q.orderBy('t.id', 'desc').limit(limit).execute();
    },

    async tokenById(db: Executor, id: string) {
      return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async revokeToken(db: Executor, id: string, at: Date) {
      await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },
  };
}

export type IdentityRepo = ReturnType<typeof createIdentityRepo>;
