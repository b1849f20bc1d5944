import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { EnvironmentsTable } from '../../db/schema.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';

export type EnvironmentRow = Omit<EnvironmentsTable, 'version' | 'created_at' | 'updated_at' | 'booking_mode' | 'booking_approver_team_id'> & {
  version: number; created_at: Date; updated_at: Date; booking_mode: 'refuse' | 'queue'; booking_approver_team_id: string | null;
  booking_approver_team_key: string | null;
};
export type EnvironmentValues = Pick<EnvironmentsTable, 'name' | 'description' | 'tier' | 'sort_order' | 'change_controlled'> & {
  booking_mode?: 'refuse' | 'queue'; booking_approver_team_id?: string | null;
};

const approverTeamKey = sql<string | null>`(select t.key from teams t where t.id = environments.booking_approver_team_id)`.as('booking_approver_team_key');

export function createEnvironmentsRepo() {
  return {
    async list(db: Executor, f: { limit: number; cursor?: Cursor; tier?: string; changeControlled?: boolean; q?: string }): Promise<EnvironmentRow[]> {
      let q = db.selectFrom('environments').selectAll().select(approverTeamKey);
      if (f.tier) q = q.where('tier', '=', f.tier as EnvironmentRow['tier']);
      if (f.changeControlled !== undefined) q = q.where('change_controlled', '=', f.changeControlled);
      if (f.q) q = q.where((eb) => eb.or([eb('key', 'ilike', `%${f.q}%`), eb('name', 'ilike', `%${f.q}%`)]));
      if (f.cursor) {
        const k = Number(f.cursor.k);
        const id = f.cursor.id;
        q = q.where((eb) => eb.or([eb('sort_order', '>', k), eb.and([eb('sort_order', '=', k), eb('id', '>', id)])]));
      }
      return q.orderBy('sort_order').orderBy('id').limit(f.limit + 1).execute() as Promise<EnvironmentRow[]>;
    },

    async find(db: Executor, ref: string): Promise<EnvironmentRow | undefined> {
      return db
        .selectFrom('environments')
        .selectAll()
        .select(approverTeamKey)
        .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('key', '=', ref)]) : eb('key', '=', ref)))
        .executeTakeFirst() as Promise<EnvironmentRow | undefined>;
    },

    async lock(tx: Tx, ref: string): Promise<EnvironmentRow | undefined> {
      return tx
        .selectFrom('environments')
        .selectAll()
        .select(approverTeamKey)
        .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('key', '=', ref)]) : eb('key', '=', ref)))
        .forUpdate()
        .executeTakeFirst() as Promise<EnvironmentRow | undefined>;
    },

    async teamId(db: Executor, ref: string): Promise<string | undefined> {
      return (await db.selectFrom('teams').select('id').where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('key', '=', ref)]) : eb('key', '=', ref))).executeTakeFirst())?.id;
    },

    async keyExists(db: Executor, key: string): Promise<boolean> {
      return (await db.selectFrom('environments').select('id').where('key', '=', key).executeTakeFirst()) !== undefined;
    },

    async insert(tx: Tx, id: string, key: string, values: EnvironmentValues, at: Date): Promise<void> {
      await tx.insertInto('environments').values({ id, key, ...values, created_at: at, updated_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: Partial<EnvironmentValues>, at: Date): Promise<void> {
      await tx.updateTable('environments').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('environments').where('id', '=', id).execute();
    },
  };
}

export type EnvironmentsRepo = ReturnType<typeof createEnvironmentsRepo>;
