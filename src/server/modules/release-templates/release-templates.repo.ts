import { sql } from 'kysely';
import type { Executor, Tx } from '../../db/tx.js';
import type { Cursor } from '../../lib/cursor.js';
import { isUuid } from '../../lib/ids.js';
import type { TemplateDefinition } from './release-templates.schemas.js';

export interface ReleaseTemplateRow {
  id: string;
  key: string;
  name: string;
  description: string;
  template_version: number;
  definition: TemplateDefinition;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = ['id', 'key', 'name', 'description', 'template_version', 'definition', 'version', 'created_at', 'updated_at'] as const;

export function createReleaseTemplatesRepo() {
  const byRef = (ref: string) => (isUuid(ref) ? sql<boolean>`(id = ${ref} or key = ${ref})` : sql<boolean>`key = ${ref}`);
  return {
    async list(db: Executor, f: { limit: number; cursor?: Cursor; q?: string }): Promise<ReleaseTemplateRow[]> {
      let q = db.selectFrom('release_templates').select(COLUMNS);
      if (f.q) {
        const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where((eb) => eb.or([eb('key', 'ilike', like), eb('name', 'ilike', like), eb('description', 'ilike', like)]));
      }
      if (f.cursor) {
        const { k, id } = f.cursor;
        q = q.where((eb) => eb.or([eb('key', '>', String(k)), eb.and([eb('key', '=', String(k)), eb('id', '>', id)])]));
      }
      return (await q.orderBy('key').orderBy('id').limit(f.limit + 1).execute()) as ReleaseTemplateRow[];
    },

    async find(db: Executor, ref: string): Promise<ReleaseTemplateRow | undefined> {
      return (await db.selectFrom('release_templates').select(COLUMNS).where(byRef(ref)).executeTakeFirst()) as ReleaseTemplateRow | undefined;
    },

    async lock(tx: Tx, ref: string): Promise<ReleaseTemplateRow | undefined> {
      return (await tx.selectFrom('release_templates').select(COLUMNS).where(byRef(ref)).forUpdate().executeTakeFirst()) as ReleaseTemplateRow | undefined;
    },

    async insert(tx: Tx, row: { id: string; key: string; name: string; description: string; definition: TemplateDefinition }, actorId: string | null, at: Date): Promise<void> {
      await tx.insertInto('release_templates').values({ ...row, definition: JSON.stringify(row.definition), template_version: 1, created_at: at, updated_at: at }).execute();
      await tx.insertInto('release_template_versions').values({ template_id: row.id, template_version: 1, definition: JSON.stringify(row.definition), created_by: actorId, created_at: at }).execute();
    },

    async update(tx: Tx, id: string, values: { name?: string; description?: string }, at: Date): Promise<void> {
      await tx.updateTable('release_templates').set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) })).where('id', '=', id).execute();
    },

    /** Saves a new definition as the next template version. */
    async saveDefinition(tx: Tx, id: string, templateVersion: number, definition: TemplateDefinition, actorId: string | null, at: Date): Promise<void> {
      await tx.updateTable('release_templates').set({ definition: JSON.stringify(definition), template_version: templateVersion }).where('id', '=', id).execute();
      await tx.insertInto('release_template_versions').values({ template_id: id, template_version: templateVersion, definition: JSON.stringify(definition), created_by: actorId, created_at: at }).execute();
    },

    async delete(tx: Tx, id: string): Promise<void> {
      await tx.deleteFrom('release_templates').where('id', '=', id).execute();
    },

    async usedBy(db: Executor, id: string): Promise<number> {
      const row = await db.selectFrom('releases').select((eb) => eb.fn.countAll<string>().as('n')).where('template_id', '=', id).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Which of these environment keys and team keys do not exist. */
    async missingKeys(db: Executor, envKeys: string[], teamKeys: string[]): Promise<{ environments: string[]; teams: string[] }> {
      const envs = envKeys.length ? await db.selectFrom('environments').select('key').where('key', 'in', envKeys).execute() : [];
      const teams = teamKeys.length ? await db.selectFrom('teams').select('key').where('key', 'in', teamKeys).execute() : [];
      const e = new Set(envs.map((r) => r.key));
      const t = new Set(teams.map((r) => r.key));
      return { environments: envKeys.filter((k) => !e.has(k)), teams: teamKeys.filter((k) => !t.has(k)) };
    },
  };
}

export type ReleaseTemplatesRepo = ReturnType<typeof createReleaseTemplatesRepo>;
