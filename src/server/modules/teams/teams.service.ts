import type { Db } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { TeamRow, TeamsRepo } from './teams.repo.js';
import type { Team, TeamCreate, TeamListQuery, TeamPatch } from './teams.schemas.js';

const present = (r: TeamRow): Team => ({
  id: r.id, key: r.key, name: r.name, description: r.description, memberCount: r.member_count, version: r.version,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
});

export function createTeamsService(deps: { db: Db; repo: TeamsRepo; audit: AuditService; clock: Clock; userExists: (id: string) => Promise<boolean> }) {
  const { db, repo, audit, clock } = deps;

  async function mustFind(ref: string, executor = db) {
    const row = await repo.find(executor, ref);
    if (!row) throw new NotFound('Team', ref);
    return row;
  }

  return {
    async list(actor: Actor, query: TeamListQuery): Promise<Page<Team>> {
      assertCan(actor, 'team:read');
      const c = cursorFor(query.cursor, 'key');
      const rows = await repo.list(db, { limit: query.limit, q: query.q, afterKey: c ? { k: String(c.k), id: c.id } : undefined });
      return toPage(rows, query.limit, (r) => ({ k: r.key, id: r.id, s: 'key' }), present);
    },

    async get(actor: Actor, ref: string) {
      assertCan(actor, 'team:read');
      const row = await mustFind(ref);
      return { ...present(row), members: await repo.members(db, row.id) };
    },

    async create(actor: Actor, input: TeamCreate): Promise<Team> {
      assertCan(actor, 'team:create');
      return db.transaction().execute(async (tx) => {
        if (await repo.keyExists(tx, input.key)) {
          throw new Conflict('duplicate_key', `A team with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
        }
        const id = newId();
        await repo.insert(tx, { id, key: input.key, name: input.name, description: input.description ?? '' }, clock.now());
        const created = present((await repo.find(tx, id))!);
        await audit.record(tx, actor, { action: 'team.created', entityType: 'team', entityId: id, after: { key: created.key, name: created.name, description: created.description } });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: TeamPatch, ifMatch?: number | '*'): Promise<Team> {
      assertCan(actor, 'team:update');
      return db.transaction().execute(async (tx) => {
        const before = await mustFind(ref, tx);
        const locked = (await repo.lock(tx, before.id))!;
        assertVersion(ifMatch, locked.version, 'The team');
        const values: { name?: string; description?: string } = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.description !== undefined) values.description = patch.description ?? '';
        if (Object.keys(values).length === 0) return present(before);
        await repo.update(tx, before.id, values, clock.now());
        const after = (await repo.find(tx, before.id))!;
        await audit.record(tx, actor, { action: 'team.updated', entityType: 'team', entityId: before.id, before: { name: before.name, description: before.description }, after: { name: after.name, description: after.description } });
        return present(after);
      });
    },

    async remove(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'team:delete');
      await db.transaction().execute(async (tx) => {
        const team = await mustFind(ref, tx);
        const locked = (await repo.lock(tx, team.id))!;
        assertVersion(ifMatch, locked.version, 'The team');
        const owned = await repo.ownedServiceKeys(tx, team.id);
        if (owned.length) {
          throw new Conflict('still_referenced', `The team '${team.key}' still owns services: ${owned.join(', ')}. Give them another owner first.`);
        }
        await repo.delete(tx, team.id);
        await audit.record(tx, actor, { action: 'team.deleted', entityType: 'team', entityId: team.id, before: { key: team.key, name: team.name } });
      });
    },

    async addMember(actor: Actor, ref: string, userId: string) {
      assertCan(actor, 'team:update');
      const team = await mustFind(ref);
      if (!(await deps.userExists(userId))) throw new Invalid('unknown_reference', `The user '${userId}' does not exist.`, [{ path: 'userId', message: 'no such user' }]);
      await db.transaction().execute(async (tx) => {
        await repo.addMember(tx, team.id, userId);
        await audit.record(tx, actor, { action: 'team.member_added', entityType: 'team', entityId: team.id, after: { userId } });
      });
      return repo.members(db, team.id);
    },

    async removeMember(actor: Actor, ref: string, userId: string) {
      assertCan(actor, 'team:update');
      const team = await mustFind(ref);
      await db.transaction().execute(async (tx) => {
        if (!(await repo.removeMember(tx, team.id, userId))) throw new NotFound('Team member', userId);
        await audit.record(tx, actor, { action: 'team.member_removed', entityType: 'team', entityId: team.id, before: { userId } });
      });
    },
  };
}

export type TeamsService = ReturnType<typeof createTeamsService>;
