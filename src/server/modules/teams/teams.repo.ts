import type { Executor, Tx } from '../../db/tx.js';
import { isUuid } from '../../lib/ids.js';
import { sql } from 'kysely';

export interface TeamRow {
  id: string;
  key: string;
  name: string;
  description: string;
  version: number;
  created_at: Date;
  updated_at: Date;
  member_count: number;
}

function selectTeams(db: Executor) {
  return db
    .selectFrom('teams as t')
    .select(['t.id', 't.key', 't.name', 't.description', 't.version', 't.created_at', 't.updated_at'])
    .select(sql<number>`(select count(*)::int from team_members m where m.team_id = t.id)`.as('member_count'));
}

export function createTeamsRepo() {
  return {
    async list(db: Executor, f: { limit: number; afterKey?: { k: string; id: string }; q?: string }): Promise<TeamRow[]> {
      let q = selectTeams(db);
      if (f.q) q = q.where((eb) => eb.or([eb('t.key', 'ilike', `%${f.q}%`), eb('t.name', 'ilike', `%${f.q}%`)]));
      if (f.afterKey) {
        const { k, id } = f.afterKey;
        q = q.where((eb) => eb.or([eb('t.key', '>', k), eb.and([eb('t.key', '=', k), eb('t.id', '>', id)])]));
      }
      return q.orderBy('t.key').orderBy('t.id').limit(f.limit + 1).execute();
    },

    async find(db: Executor, ref: string): Promise<TeamRow | undefined> {
      return selectTeams(db)
        .where((eb) => (isUuid(ref) ? eb.or([eb('t.id', '=', ref), eb('t.key', '=', ref)]) : eb('t.key', '=', ref)))
        .executeTakeFirst();
    },

    async exists(db: Executor, id: string): Promise<boolean> {
      return (await db.selectFrom('teams').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    async keyExists(db: Executor, key: string): Promise<boolean> {
      return (await db.selectFrom('teams').select('id').where('key', '=', key).executeTakeFirst()) !== undefined;
    },

    async insert(tx: Tx, row: { id: string; key: string; name: string; description: string }, at: Date) {
      await tx.insertInto('teams').values({ ...row, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: { name?: string; description?: string }, at: Date) {
      await tx.updateTable('teams').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async delete(tx: Tx, id: string) {
      await tx.deleteFrom('teams').where('id', '=', id).execute();
    },

    async lock(tx: Tx, id: string) {
      return tx.selectFrom('teams').select(['id', 'version']).where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async ownedServiceKeys(db: Executor, teamId: string): Promise<string[]> {
      const rows = await db.selectFrom('services').select('key').where('owner_team_id', '=', teamId).orderBy('key').limit(20).execute();
      return rows.map((r) => r.key);
    },

    async addMember(tx: Tx, teamId: string, userId: string) {
      await tx.insertInto('team_members').values({ team_id: teamId, user_id: userId }).onConflict((oc) => oc.doNothing()).execute();
    },

    async removeMember(tx: Tx, teamId: string, userId: string) {
      const r = await tx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async members(db: Executor, teamId: string) {
      return db
        .selectFrom('team_members as m')
        .innerJoin('users as u', 'u.id', 'm.user_id')
        .select(['u.id', 'u.email', 'u.name'])
        .where('m.team_id', '=', teamId)
        .orderBy('u.name')
        .execute();
    },
  };
}

export type TeamsRepo = ReturnType<typeof createTeamsRepo>;
