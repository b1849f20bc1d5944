import type { Db, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { EnvironmentRow, EnvironmentsRepo, EnvironmentValues } from './environments.repo.js';
import type { Environment, EnvironmentCreate, EnvironmentListQuery, EnvironmentPatch } from './environments.schemas.js';

export const present = (row: EnvironmentRow): Environment => ({
  id: row.id,
  key: row.key,
  name: row.name,
  description: row.description,
  tier: row.tier,
  order: row.sort_order,
  changeControlled: row.change_controlled,
  bookingMode: row.booking_mode,
  bookingApproverTeam: row.booking_approver_team_key,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const auditView = ({ id: _id, version: _v, createdAt: _c, updatedAt: _u, ...rest }: Environment) => rest;

export interface EnvironmentsDeps {
  db: Db;
  repo: EnvironmentsRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
  referenceChecks?: ((tx: Tx, environmentId: string) => Promise<string | null>)[];
}

export function createEnvironmentsService(deps: EnvironmentsDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  const emit = (tx: Tx, actor: Actor, type: string, e: { id: string; version: number }) =>
    publishEvent(outbox, tx, { type, entityType: 'environment', entityId: e.id, version: e.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });

  async function approverTeamId(tx: Tx, ref: string | null): Promise<string | null> {
    if (ref === null) return null;
    const id = await repo.teamId(tx, ref);
    if (!id) throw new Invalid('unknown_reference', `The team '${ref}' does not exist.`, [{ path: 'bookingApproverTeam', message: 'no such team' }]);
    return id;
  }

  return {
    async list(actor: Actor, query: EnvironmentListQuery): Promise<Page<Environment>> {
      assertCan(actor, 'environment:read');
      const cursor = cursorFor(query.cursor, 'order');
      const rows = await repo.list(db, { limit: query.limit, cursor, tier: query.tier, changeControlled: query.changeControlled, q: query.q });
      return toPage(rows, query.limit, (r) => ({ k: r.sort_order, id: r.id, s: 'order' }), present);
    },

    async get(actor: Actor, ref: string): Promise<Environment> {
      assertCan(actor, 'environment:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Environment', ref);
      return present(row);
    },

    async create(actor: Actor, input: EnvironmentCreate): Promise<Environment> {
      assertCan(actor, 'environment:create');
      return db.transaction().execute(async (tx) => {
        if (await repo.keyExists(tx, input.key)) {
          throw new Conflict('duplicate_key', `An environment with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
        }
        const id = newId();
        const values: EnvironmentValues = {
          name: input.name,
          description: input.description ?? '',
          tier: input.tier,
          sort_order: input.order,
          change_controlled: input.changeControlled ?? input.tier === 'production',
          booking_mode: input.bookingMode ?? 'refuse',
          booking_approver_team_id: await approverTeamId(tx, input.bookingApproverTeam ?? null),
        };
        await repo.insert(tx, id, input.key, values, clock.now());
        const created = present((await repo.find(tx, id))!);
        await emit(tx, actor, 'environment.created', created);
        await audit.record(tx, actor, { action: 'environment.created', entityType: 'environment', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: EnvironmentPatch, ifMatch?: number | '*'): Promise<Environment> {
      assertCan(actor, 'environment:update');
      return db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Environment', ref);
        assertVersion(ifMatch, locked.version, 'The environment');
        const before = present(locked);
        const values: Partial<EnvironmentValues> = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.description !== undefined) values.description = patch.description ?? '';
        if (patch.tier !== undefined) values.tier = patch.tier;
        if (patch.order !== undefined) values.sort_order = patch.order;
        if (patch.changeControlled !== undefined) values.change_controlled = patch.changeControlled;
        if (patch.bookingMode !== undefined) values.booking_mode = patch.bookingMode;
        if (patch.bookingApproverTeam !== undefined) values.booking_approver_team_id = await approverTeamId(tx, patch.bookingApproverTeam);
        if (Object.keys(values).length === 0) return before;
        await repo.update(tx, locked.id, values, clock.now());
        const after = present((await repo.find(tx, locked.id))!);
        await emit(tx, actor, 'environment.updated', after);
        await audit.record(tx, actor, { action: 'environment.updated', entityType: 'environment', entityId: locked.id, before: auditView(before), after: auditView(after) });
        return after;
      });
    },

    async remove(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'environment:delete');
      await db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Environment', ref);
        assertVersion(ifMatch, locked.version, 'The environment');
        const reasons: string[] = [];
        for (const check of deps.referenceChecks ?? []) {
          const reason = await check(tx, locked.id);
          if (reason) reasons.push(reason);
        }
        if (reasons.length) {
          throw new Conflict('still_referenced', `The environment '${locked.key}' is still referenced by ${reasons.join('; ')}. Remove those references first.`);
        }
        await repo.delete(tx, locked.id);
        await emit(tx, actor, 'environment.deleted', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'environment.deleted', entityType: 'environment', entityId: locked.id, before: auditView(present(locked)) });
      });
    },
  };
}

export type EnvironmentsService = ReturnType<typeof createEnvironmentsService>;
