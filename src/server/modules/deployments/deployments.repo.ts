import { sql, type ExpressionBuilder } from 'kysely';
import type { DB, DeploymentSource, DeploymentStatus } from '../../db/schema.js';
import type { Executor, Tx } from '../../db/tx.js';
import { isUuid } from '../../lib/ids.js';

type Named = { id: string; key: string; name: string };

/** The columns a report or an edit sets. */
export interface DeploymentValues {
  service_id: string | null;
  service_ref: string;
  environment_id: string | null;
  environment_ref: string;
  deployed_version: string;
  artifact: string | null;
  status: DeploymentStatus;
  started_at: Date | null;
  finished_at: Date | null;
  pipeline_run_id: string | null;
  pipeline_url: string | null;
  release_id: string | null;
  change_id: string | null;
}

/** A stored deployment: the reported values plus identity, bookkeeping and the names of what it points at. */
export interface DeploymentRow extends DeploymentValues {
  id: string;
  sort_at: Date;
  source: DeploymentSource;
  external_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  service: Named | null;
  environment: Named | null;
  release: Named | null;
  change: { id: string; number: string } | null;
  reporter: { id: string; name: string } | null;
  // committed_at comes out of json_agg as text
  commits: { sha: string; committed_at: string | null; author: string | null; message: string | null }[];
}

export interface CommitValues {
  sha: string;
  committed_at: Date | null;
  author: string | null;
  message: string | null;
}

export interface ListFilter {
  limit: number;
  cursor?: { at: Date; id: string };
  service?: { id: string } | { ref: string };
  environment?: { id: string } | { ref: string };
  status?: DeploymentStatus;
  releaseId?: string;
  changeId?: string;
  unmatched?: boolean;
  from?: Date;
  to?: Date;
}

export type Pair = { serviceId: string; environmentId: string };

const named = (alias: 's' | 'e' | 'r') => sql<Named | null>`case when ${sql.ref(`${alias}.id`)} is null then null else json_build_object('id', ${sql.ref(`${alias}.id`)}, 'key', ${sql.ref(`${alias}.key`)}, 'name', ${sql.ref(`${alias}.name`)}) end`;

function selectDeployments(db: Executor) {
  return db
    .selectFrom('deployments as d')
    .leftJoin('services as s', 's.id', 'd.service_id')
    .leftJoin('environments as e', 'e.id', 'd.environment_id')
    .leftJoin('releases as r', 'r.id', 'd.release_id')
    .leftJoin('change_requests as c', 'c.id', 'd.change_id')
    .leftJoin('users as u', 'u.id', 'd.reported_by')
    .selectAll('d')
    .select([
      named('s').as('service'),
      named('e').as('environment'),
      named('r').as('release'),
      sql<DeploymentRow['change']>`case when c.id is null then null else json_build_object('id', c.id, 'number', c.number) end`.as('change'),
      sql<DeploymentRow['reporter']>`case when u.id is null then null else json_build_object('id', u.id, 'name', u.name) end`.as('reporter'),
      sql<DeploymentRow['commits']>`coalesce((
        select json_agg(json_build_object('sha', dc.sha, 'committed_at', dc.committed_at, 'author', dc.author, 'message', dc.message) order by dc.committed_at nulls last, dc.sha)
        from deployment_commits dc where dc.deployment_id = d.id), '[]'::json)`.as('commits'),
    ]);
}

/** An id or a key: a key that looks like a uuid is still tried as a key. */
const idOrKey = (ref: string) => (eb: ExpressionBuilder<DB, 'services' | 'environments' | 'releases' | 'teams'>) => {
  const e = eb as ExpressionBuilder<DB, 'services'>;
  return isUuid(ref) ? e.or([e('id', '=', ref), e('key', '=', ref)]) : e('key', '=', ref);
};

export function createDeploymentsRepo() {
  return {
    /** A catalog service by id or key, else by a recorded alias of a reported name. */
    async findService(db: Executor, ref: string): Promise<Named | undefined> {
      const direct = await db.selectFrom('services').select(['id', 'key', 'name']).where(idOrKey(ref)).executeTakeFirst();
      if (direct) return direct;
      return db.selectFrom('service_aliases as a').innerJoin('services as s', 's.id', 'a.service_id').select(['s.id', 's.key', 's.name']).where('a.ref', '=', ref).executeTakeFirst();
    },

    async findEnvironment(db: Executor, ref: string): Promise<Named | undefined> {
      const direct = await db.selectFrom('environments').select(['id', 'key', 'name']).where(idOrKey(ref)).executeTakeFirst();
      if (direct) return direct;
      return db.selectFrom('environment_aliases as a').innerJoin('environments as e', 'e.id', 'a.environment_id').select(['e.id', 'e.key', 'e.name']).where('a.ref', '=', ref).executeTakeFirst();
    },

    async findRelease(db: Executor, ref: string): Promise<Named | undefined> {
      return db.selectFrom('releases').select(['id', 'key', 'name']).where(idOrKey(ref)).executeTakeFirst();
    },

    async findChange(db: Executor, ref: string): Promise<{ id: string; number: string } | undefined> {
      return db
        .selectFrom('change_requests')
        .select(['id', 'number'])
        .where((eb) => (isUuid(ref) ? eb.or([eb('id', '=', ref), eb('number', '=', ref)]) : eb('number', '=', ref)))
        .executeTakeFirst();
    },

    async findTeam(db: Executor, ref: string): Promise<Named | undefined> {
      return db
        .selectFrom('teams')
        .select(['id', 'key', 'name'])
        .where(idOrKey(ref))
        .executeTakeFirst();
    },

    async find(db: Executor, id: string): Promise<DeploymentRow | undefined> {
      if (!isUuid(id)) return undefined;
      return (await selectDeployments(db).where('d.id', '=', id).executeTakeFirst()) as DeploymentRow | undefined;
    },

    async lock(tx: Tx, id: string): Promise<{ id: string } | undefined> {
      if (!isUuid(id)) return undefined;
      return tx.selectFrom('deployments').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async lockByExternalId(tx: Tx, source: DeploymentSource, externalId: string): Promise<{ id: string } | undefined> {
      return tx.selectFrom('deployments').select('id').where('source', '=', source).where('external_id', '=', externalId).forUpdate().executeTakeFirst();
    },

    /** Inserts unless (source, externalId) exists; false when it did (a concurrent report won). */
    async insertIfAbsent(tx: Tx, row: DeploymentValues & { id: string; source: DeploymentSource; external_id: string | null; reported_by: string | null }, at: Date): Promise<boolean> {
      const inserted = await tx
        .insertInto('deployments')
        .values({ ...row, created_at: at, updated_at: at })
        .onConflict((oc) => oc.columns(['source', 'external_id']).where('external_id', 'is not', null).doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async update(tx: Tx, id: string, values: Partial<DeploymentValues>, at: Date): Promise<void> {
      await tx
        .updateTable('deployments')
        .set((eb) => ({ ...values, updated_at: at, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .execute();
    },

    /** Adds commits; a known sha keeps what it had unless the report knows more. */
    async mergeCommits(tx: Tx, deploymentId: string, commits: CommitValues[]): Promise<void> {
      if (commits.length === 0) return;
      await tx
        .insertInto('deployment_commits')
        .values(commits.map((c) => ({ deployment_id: deploymentId, ...c })))
        .onConflict((oc) =>
          oc.columns(['deployment_id', 'sha']).doUpdateSet({
            committed_at: sql`coalesce(excluded.committed_at, deployment_commits.committed_at)`,
            author: sql`coalesce(excluded.author, deployment_commits.author)`,
            message: sql`coalesce(excluded.message, deployment_commits.message)`,
          }),
        )
        .execute();
    },

    /** Newest first: by sort_at (finish, else start, else report time), then id. */
    async list(db: Executor, f: ListFilter): Promise<DeploymentRow[]> {
      let q = selectDeployments(db);
      if (f.service) q = 'id' in f.service ? q.where('d.service_id', '=', f.service.id) : q.where('d.service_id', 'is', null).where('d.service_ref', '=', f.service.ref);
      if (f.environment) q = 'id' in f.environment ? q.where('d.environment_id', '=', f.environment.id) : q.where('d.environment_id', 'is', null).where('d.environment_ref', '=', f.environment.ref);
      if (f.status) q = q.where('d.status', '=', f.status);
      if (f.releaseId) q = q.where('d.release_id', '=', f.releaseId);
      if (f.changeId) q = q.where('d.change_id', '=', f.changeId);
      if (f.unmatched === true) q = q.where((eb) => eb.or([eb('d.service_id', 'is', null), eb('d.environment_id', 'is', null)]));
      if (f.unmatched === false) q = q.where('d.service_id', 'is not', null).where('d.environment_id', 'is not', null);
      if (f.from) q = q.where('d.sort_at', '>=', f.from as never);
      if (f.to) q = q.where('d.sort_at', '<', f.to as never);
      if (f.cursor) {
        const { at, id } = f.cursor;
        q = q.where((eb) => eb.or([eb('d.sort_at', '<', at as never), eb.and([eb('d.sort_at', '=', at as never), eb('d.id', '<', id)])]));
      }
      return (await q.orderBy('d.sort_at', 'desc').orderBy('d.id', 'desc').limit(f.limit + 1).execute()) as DeploymentRow[];
    },

    /**
     * Recomputes the inventory cell of a pair from its deployments: the latest succeeded one by
     * finish time. A transaction-scoped advisory lock on the pair serialises recomputations, so
     * concurrent reports cannot leave an older version behind. True when the cell changed.
     */
    async recomputeInventory(tx: Tx, pair: Pair): Promise<boolean> {
      await sql`select pg_advisory_xact_lock(hashtextextended(${`inventory:${pair.serviceId}:${pair.environmentId}`}, 0))`.execute(tx);
      const latest = await tx
        .selectFrom('deployments')
        .select(['id', 'deployed_version', 'finished_at'])
        .where('service_id', '=', pair.serviceId)
        .where('environment_id', '=', pair.environmentId)
        .where('status', '=', 'succeeded')
        .where('finished_at', 'is not', null)
        .orderBy('finished_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const current = await tx
        .selectFrom('environment_inventory')
        .select(['deployment_id', 'deployed_version', 'since'])
        .where('service_id', '=', pair.serviceId)
        .where('environment_id', '=', pair.environmentId)
        .executeTakeFirst();
      if (!latest) {
        if (!current) return false;
        await tx.deleteFrom('environment_inventory').where('service_id', '=', pair.serviceId).where('environment_id', '=', pair.environmentId).execute();
        return true;
      }
      const since = latest.finished_at!;
      if (current && current.deployment_id === latest.id && current.deployed_version === latest.deployed_version && current.since.getTime() === since.getTime()) return false;
      const values = { deployment_id: latest.id, deployed_version: latest.deployed_version, since };
      await tx
        .insertInto('environment_inventory')
        .values({ service_id: pair.serviceId, environment_id: pair.environmentId, ...values })
        .onConflict((oc) => oc.columns(['service_id', 'environment_id']).doUpdateSet(values))
        .execute();
      return true;
    },

    /** Attaches the unmatched deployments reported under `ref`; returns their ids and pairs. */
    async attachService(tx: Tx, ref: string, serviceId: string, at: Date) {
      return tx
        .updateTable('deployments')
        .set((eb) => ({ service_id: serviceId, updated_at: at, version: eb('version', '+', 1) }))
        .where('service_id', 'is', null)
        .where('service_ref', '=', ref)
        .returning(['id', 'service_id', 'environment_id'])
        .execute();
    },

    async attachEnvironment(tx: Tx, ref: string, environmentId: string, at: Date) {
      return tx
        .updateTable('deployments')
        .set((eb) => ({ environment_id: environmentId, updated_at: at, version: eb('version', '+', 1) }))
        .where('environment_id', 'is', null)
        .where('environment_ref', '=', ref)
        .returning(['id', 'service_id', 'environment_id'])
        .execute();
    },

    async saveServiceAlias(tx: Tx, ref: string, serviceId: string): Promise<void> {
      await tx.insertInto('service_aliases').values({ ref, service_id: serviceId }).onConflict((oc) => oc.column('ref').doUpdateSet({ service_id: serviceId })).execute();
    },

    async saveEnvironmentAlias(tx: Tx, ref: string, environmentId: string): Promise<void> {
      await tx.insertInto('environment_aliases').values({ ref, environment_id: environmentId }).onConflict((oc) => oc.column('ref').doUpdateSet({ environment_id: environmentId })).execute();
    },

    async inventoryEnvironments(db: Executor) {
      return db.selectFrom('environments').select(['id', 'key', 'name', 'tier', 'sort_order']).orderBy('sort_order').orderBy('key').execute();
    },

    async inventoryServices(db: Executor, f: { serviceId?: string; teamId?: string }) {
      let q = db
        .selectFrom('services as s')
        .leftJoin('teams as t', 't.id', 's.owner_team_id')
        .select(['s.id', 's.key', 's.name', 's.tier', sql<Named | null>`case when t.id is null then null else json_build_object('id', t.id, 'key', t.key, 'name', t.name) end`.as('team')]);
      if (f.serviceId) q = q.where('s.id', '=', f.serviceId);
      if (f.teamId) q = q.where('s.owner_team_id', '=', f.teamId);
      return q.orderBy('s.key').execute();
    },

    async inventoryCells(db: Executor, serviceIds: string[]) {
      if (serviceIds.length === 0) return [];
      return db.selectFrom('environment_inventory').selectAll().where('service_id', 'in', serviceIds).execute();
    },

    /** The latest deployment of each (service, environment) pair, whatever its status. */
    async latestPerPair(db: Executor, serviceIds: string[]) {
      if (serviceIds.length === 0) return [];
      const { rows } = await sql<{ id: string; service_id: string; environment_id: string; deployed_version: string; status: DeploymentStatus; sort_at: Date }>`
        select distinct on (service_id, environment_id) id, service_id, environment_id, deployed_version, status, sort_at
        from deployments
        where service_id in (${sql.join(serviceIds)}) and environment_id is not null
        order by service_id, environment_id, sort_at desc, id desc
      `.execute(db);
      return rows;
    },

    /**
     * The succeeded deployments of a pair, newest first, each with the finish time of the one that
     * replaced it (null for the one still running).
     */
    async history(db: Executor, pair: Pair, limit: number, cursor?: { at: Date; id: string }) {
      const ranked = db
        .selectFrom('deployments')
        .select(['id', 'finished_at', sql<Date | null>`lag(finished_at) over (order by finished_at desc, id desc)`.as('until')])
        .where('service_id', '=', pair.serviceId)
        .where('environment_id', '=', pair.environmentId)
        .where('status', '=', 'succeeded')
        .where('finished_at', 'is not', null)
        .as('h');
      let q = db.selectFrom(ranked).select(['h.id', 'h.finished_at', 'h.until']);
      if (cursor) q = q.where((eb) => eb.or([eb('h.finished_at', '<', cursor.at), eb.and([eb('h.finished_at', '=', cursor.at), eb('h.id', '<', cursor.id)])]));
      const rows = await q.orderBy('h.finished_at', 'desc').orderBy('h.id', 'desc').limit(limit + 1).execute();
      return rows as { id: string; finished_at: Date; until: Date | null }[];
    },

    /** Deployments that keep a catalog entry from being deleted. */
    async countFor(db: Executor, f: { serviceId: string } | { environmentId: string }): Promise<number> {
      const row = await db
        .selectFrom('deployments')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('serviceId' in f ? 'service_id' : 'environment_id', '=', 'serviceId' in f ? f.serviceId : f.environmentId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async findMany(db: Executor, ids: string[]): Promise<DeploymentRow[]> {
      if (ids.length === 0) return [];
      return (await selectDeployments(db).where('d.id', 'in', ids).execute()) as DeploymentRow[];
    },
  };
}

export type DeploymentsRepo = ReturnType<typeof createDeploymentsRepo>;
