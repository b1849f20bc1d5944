import type { Db, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Conflict, Invalid, NotFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../db/errors.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { TeamsRepo } from '../teams/teams.repo.js';
import type { ServiceRow, ServicesRepo, ServiceValues } from './services.repo.js';
import type { Service, ServiceCreate, ServiceListQuery, ServicePatch } from './services.schemas.js';

export function present(row: ServiceRow): Service {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    tier: row.tier,
    ownerTeam: row.owner_team,
    governanceProfile: row.governance_profile,
    dependsOn: row.depends_on,
    tags: row.tags,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The audited shape: what a person would want to see change. */
const auditView = (s: Service) => ({
  key: s.key, name: s.name, description: s.description, tier: s.tier, ownerTeam: s.ownerTeam?.key ?? null,
  governanceProfile: s.governanceProfile, dependsOn: s.dependsOn.map((d) => d.key), tags: s.tags,
});

/** Tags are a set: duplicates dropped, sorted so equal sets compare equal. */
const tagSet = (tags: string[] | null | undefined) => [...new Set(tags ?? [])].sort();

export interface ServicesDeps {
  db: Db;
  repo: ServicesRepo;
  teams: Pick<TeamsRepo, 'exists' | 'find'>;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
  /** Other modules register what may reference a service; deleting it while referenced is refused. */
  referenceChecks?: ((tx: Tx, serviceId: string) => Promise<string | null>)[];
}

export function createServicesService(deps: ServicesDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function assertTeam(tx: Tx, teamId: string | null | undefined) {
    if (teamId && !(await deps.teams.exists(tx, teamId))) {
      throw new Invalid('unknown_reference', `The owner team '${teamId}' does not exist.`, [{ path: 'ownerTeamId', message: 'no such team' }]);
    }
  }

  async function resolveDependencies(tx: Tx, serviceId: string, serviceKey: string, refs: string[]): Promise<string[]> {
    const unique = [...new Set(refs)];
    const { found, missing } = await repo.resolveRefs(tx, unique);
    if (missing.length) {
      throw new Invalid('unknown_reference', `These dependencies do not exist: ${missing.join(', ')}.`, missing.map((m) => ({ path: 'dependsOn', message: `no service '${m}'` })));
    }
    const ids = [...new Set(found.values())];
    if (ids.includes(serviceId)) {
      throw new Invalid('dependency_cycle', `A service cannot depend on itself ('${serviceKey}').`, [{ path: 'dependsOn', message: 'self-dependency' }]);
    }
    await repo.lockDependencyGraph(tx);
    const path = await repo.findCyclePath(tx, serviceId, ids);
    if (path) {
      const cycle = [serviceKey, ...path].join(' → ');
      throw new Invalid('dependency_cycle', `This dependency would create a cycle: ${cycle}.`, [{ path: 'dependsOn', message: `cycle ${cycle}` }]);
    }
    return ids;
  }

  async function emit(tx: Tx, actor: Actor, type: string, s: { id: string; version: number }) {
    await publishEvent(outbox, tx, {
      type, entityType: 'service', entityId: s.id, version: s.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString(),
    });
  }

  return {
    async list(actor: Actor, query: ServiceListQuery): Promise<Page<Service>> {
      assertCan(actor, 'service:read');
      let teamId: string | undefined;
      if (query.team) {
        const team = await deps.teams.find(db, query.team);
        if (!team) return { items: [], nextCursor: null };
        teamId = team.id;
      }
      const cursor = cursorFor(query.cursor, query.sort.field);
      const rows = await repo.list(db, { limit: query.limit, sort: query.sort, cursor, q: query.q, tier: query.tier, teamId, governanceProfile: query.governanceProfile });
      const sortValue = (r: ServiceRow) => {
        const v = { key: r.key, name: r.name, tier: r.tier, updatedAt: r.updated_at.toISOString() }[query.sort.field];
        return v;
      };
      return toPage(rows, query.limit, (r) => ({ k: sortValue(r), id: r.id, s: query.sort.field }), present);
    },

    async get(actor: Actor, ref: string): Promise<Service> {
      assertCan(actor, 'service:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Service', ref);
      return present(row);
    },

    async create(actor: Actor, input: ServiceCreate): Promise<Service> {
      assertCan(actor, 'service:create');
      return db.transaction().execute(async (tx) => {
        await assertTeam(tx, input.ownerTeamId);
        const id = newId();
        const now = clock.now();
        const values: ServiceValues = {
          name: input.name, description: input.description ?? '', tier: input.tier,
          owner_team_id: input.ownerTeamId ?? null, governance_profile: input.governanceProfile ?? null, tags: tagSet(input.tags),
        };
        try {
          await repo.insert(tx, id, input.key, values, now);
        } catch (err) {
          // the unique index decides (no check-then-insert race); the transaction is aborted either way
          if (isUniqueViolation(err, 'services_key_key')) {
            throw new Conflict('duplicate_key', `A service with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
          }
          throw err;
        }
        const hasRefs = Boolean(input.dependsOn?.length || input.ownerTeamId);
        if (input.dependsOn?.length) await repo.setDependencies(tx, id, await resolveDependencies(tx, id, input.key, input.dependsOn));
        // without references everything is known here: skip the round trip of reading it back
        const created = present(
          hasRefs
            ? (await repo.find(tx, id))!
            : { id, key: input.key, ...values, version: 1, created_at: now, updated_at: now, owner_team: null, depends_on: [] },
        );
        await emit(tx, actor, 'service.created', created);
        await audit.record(tx, actor, { action: 'service.created', entityType: 'service', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: ServicePatch, ifMatch?: number | '*'): Promise<Service> {
      assertCan(actor, 'service:update');
      return db.transaction().execute(async (tx) => {
        // lock order: dependency graph, then the service row, then (last) the audit chain. Taking the row
        // first deadlocks with a concurrent dependsOn change that holds the graph lock and needs a key-share
        // lock on this row for its foreign key (a → b and b → a at once).
        if (patch.dependsOn !== undefined) await repo.lockDependencyGraph(tx);
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Service', ref);
        assertVersion(ifMatch, locked.version, 'The service');
        const before = present((await repo.find(tx, locked.id))!);
        if (patch.ownerTeamId !== undefined) await assertTeam(tx, patch.ownerTeamId);
        const values: Partial<ServiceValues> = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.description !== undefined) values.description = patch.description ?? '';
        if (patch.tier !== undefined) values.tier = patch.tier;
        if (patch.ownerTeamId !== undefined) values.owner_team_id = patch.ownerTeamId;
        if (patch.governanceProfile !== undefined) values.governance_profile = patch.governanceProfile;
        if (patch.tags !== undefined) values.tags = tagSet(patch.tags);
        if (patch.dependsOn !== undefined) {
          await repo.setDependencies(tx, locked.id, await resolveDependencies(tx, locked.id, before.key, patch.dependsOn ?? []));
        }
        if (Object.keys(values).length === 0 && patch.dependsOn === undefined) return before;
        await repo.update(tx, locked.id, values, clock.now());
        const after = present((await repo.find(tx, locked.id))!);
        await emit(tx, actor, 'service.updated', after);
        await audit.record(tx, actor, { action: 'service.updated', entityType: 'service', entityId: locked.id, before: auditView(before), after: auditView(after) });
        return after;
      });
    },

    async remove(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'service:delete');
      await db.transaction().execute(async (tx) => {
        await repo.lockDependencyGraph(tx); // before the row lock: see update()
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Service', ref);
        assertVersion(ifMatch, locked.version, 'The service');
        const before = present((await repo.find(tx, locked.id))!);
        const reasons: string[] = [];
        const dependents = await repo.dependents(tx, locked.id);
        if (dependents.length) reasons.push(`services that depend on it: ${dependents.join(', ')}`);
        for (const check of deps.referenceChecks ?? []) {
          const reason = await check(tx, locked.id);
          if (reason) reasons.push(reason);
        }
        if (reasons.length) {
          throw new Conflict('still_referenced', `The service '${before.key}' is still referenced by ${reasons.join('; ')}. Remove those references first.`);
        }
        await repo.delete(tx, locked.id);
        await emit(tx, actor, 'service.deleted', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'service.deleted', entityType: 'service', entityId: locked.id, before: auditView(before) });
      });
    },
  };
}

export type ServicesService = ReturnType<typeof createServicesService>;
