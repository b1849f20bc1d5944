import type { Db, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { decodeCursor, toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { CommitValues, DeploymentRow, DeploymentsRepo, DeploymentValues, Pair } from './deployments.repo.js';
import type {
  CommitInput, Deployment, DeploymentListQuery, DeploymentPatch, DeploymentReport, DeploymentStatus, Inventory, InventoryHistoryEntry, InventoryHistoryQuery,
  InventoryQuery, UnmatchedMap,
} from './deployments.schemas.js';

/** Status only moves forward: queued < in_progress < terminal. */
const RANK: Record<DeploymentStatus, number> = { queued: 0, in_progress: 1, succeeded: 2, failed: 2, rolled_back: 2, canceled: 2 };
const isTerminal = (s: DeploymentStatus) => RANK[s] === 2;
const STATUSES = Object.keys(RANK) as DeploymentStatus[];

/** The statuses a deployment in `current` may still be reported in (and change to). */
export function allowedAfter(current: DeploymentStatus): DeploymentStatus[] {
  if (current === 'succeeded') return ['rolled_back'];
  if (isTerminal(current)) return [];
  return STATUSES.filter((s) => RANK[s] > RANK[current]);
}

/**
 * The status after a report: a lower rank keeps the stored status (a late "started" after
 * "finished"), terminal to another terminal is refused except a rollback of a success.
 */
export function nextStatus(current: DeploymentStatus, reported: DeploymentStatus | undefined): DeploymentStatus {
  if (reported === undefined || reported === current || RANK[reported] < RANK[current]) return current;
  if (isTerminal(current) && !(current === 'succeeded' && reported === 'rolled_back')) {
    throw new Conflict('invalid_status_change', `The deployment is ${current}: it cannot become ${reported}.`, { current, allowed: allowedAfter(current) });
  }
  return reported;
}

/** "staging runs 2.4.1, production 2.3.9" when the environments (in order) run different versions, else null. */
export function driftDetail(cells: { environment: string; version: string }[]): string | null {
  if (new Set(cells.map((c) => c.version)).size < 2) return null;
  return cells.map((c, i) => `${c.environment}${i === 0 ? ' runs' : ''} ${c.version}`).join(', ');
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
// json_build_object renders timestamps as text in the session time zone: normalise to UTC Z
const isoText = (s: string | null) => (s ? new Date(s).toISOString() : null);
const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);
const dateOf = (s: string | undefined) => (s === undefined ? undefined : new Date(s));

export function present(row: DeploymentRow): Deployment {
  const duration = row.started_at && row.finished_at ? (row.finished_at.getTime() - row.started_at.getTime()) / 1000 : null;
  return {
    id: row.id,
    service: row.service,
    serviceRef: row.service_ref,
    environment: row.environment,
    environmentRef: row.environment_ref,
    matched: row.service_id !== null && row.environment_id !== null,
    deployedVersion: row.deployed_version,
    artifact: row.artifact,
    status: row.status,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    durationSeconds: duration,
    commits: row.commits.map((c) => ({ sha: c.sha, committedAt: isoText(c.committed_at), author: c.author, message: c.message })),
    pipelineRunId: row.pipeline_run_id,
    pipelineUrl: row.pipeline_url,
    source: row.source,
    externalId: row.external_id,
    release: row.release,
    change: row.change,
    reportedBy: row.reporter,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const auditView = (d: Deployment) => ({
  service: d.service?.key ?? d.serviceRef, environment: d.environment?.key ?? d.environmentRef, deployedVersion: d.deployedVersion, artifact: d.artifact,
  status: d.status, startedAt: d.startedAt, finishedAt: d.finishedAt, pipelineRunId: d.pipelineRunId, pipelineUrl: d.pipelineUrl, source: d.source,
  externalId: d.externalId, release: d.release?.key ?? null, change: d.change?.number ?? null, commits: d.commits.map((c) => c.sha),
});

const commitValues = (commits: CommitInput[] | undefined): CommitValues[] =>
  (commits ?? []).map((c) => ({ sha: c.sha, committed_at: dateOf(c.committedAt) ?? null, author: c.author ?? null, message: c.message ?? null }));

const pairOf = (r: { service_id: string | null; environment_id: string | null }): Pair | null =>
  r.service_id && r.environment_id ? { serviceId: r.service_id, environmentId: r.environment_id } : null;

/** Distinct pairs in a fixed order, so transactions take the pair locks in the same order. */
const distinctPairs = (pairs: (Pair | null)[]): Pair[] => {
  const byKey = new Map(pairs.filter((p): p is Pair => p !== null).map((p) => [`${p.serviceId}:${p.environmentId}`, p]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
};

/** A list cursor carries the sort time; a forged one is a 400, never a SQL error. */
function timeCursor(raw: string | undefined): { at: Date; id: string } | undefined {
  const c = decodeCursor(raw);
  if (!c) return undefined;
  const at = typeof c.k === 'string' ? new Date(c.k) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [{ path: 'cursor', message: 'not a cursor issued by this API' }], 400);
  return { at, id: c.id };
}

export interface DeploymentsDeps {
  db: Db;
  repo: DeploymentsRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createDeploymentsService(deps: DeploymentsDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, entityType: string, e: { id: string; version: number | null }) {
    await publishEvent(outbox, tx, { type, entityType, entityId: e.id, version: e.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  /** Explicit references must exist: undefined = not mentioned, null = none. */
  async function resolveRefs(tx: Tx, input: { release?: string | null; change?: string | null }) {
    let releaseId: string | null | undefined = input.release === null ? null : undefined;
    let changeId: string | null | undefined = input.change === null ? null : undefined;
    if (input.release) {
      const found = await repo.findRelease(tx, input.release);
      if (!found) throw new Invalid('unknown_reference', `The release '${input.release}' does not exist.`, [{ path: 'release', message: 'no such release' }]);
      releaseId = found.id;
    }
    if (input.change) {
      const found = await repo.findChange(tx, input.change);
      if (!found) throw new Invalid('unknown_reference', `The change '${input.change}' does not exist.`, [{ path: 'change', message: 'no such change' }]);
      changeId = found.id;
    }
    return { releaseId, changeId };
  }

  /** Unknown names are news, not mistakes: they are kept with a null id until mapped. */
  async function resolveTarget(tx: Tx, input: { service: string; environment: string }) {
    const [service, environment] = [await repo.findService(tx, input.service), await repo.findEnvironment(tx, input.environment)];
    return { service_id: service?.id ?? null, service_ref: input.service, environment_id: environment?.id ?? null, environment_ref: input.environment };
  }

  function assertTimes(v: { started_at: Date | null; finished_at: Date | null }) {
    if (v.started_at && v.finished_at && v.started_at > v.finished_at) {
      throw new Invalid('invalid_times', `startedAt (${v.started_at.toISOString()}) is after finishedAt (${v.finished_at.toISOString()}).`, [{ path: 'startedAt', message: 'after finishedAt' }]);
    }
  }

  /** Recomputes the inventory of the pairs a change touched, and announces the cells that moved. */
  async function recompute(tx: Tx, actor: Actor, pairs: (Pair | null)[]) {
    for (const pair of distinctPairs(pairs)) {
      if (await repo.recomputeInventory(tx, pair)) await emit(tx, actor, 'inventory.changed', 'inventory', { id: `${pair.serviceId}/${pair.environmentId}`, version: null });
    }
  }

  async function load(tx: Tx, id: string): Promise<Deployment> {
    return present((await repo.find(tx, id))!);
  }

  async function insertNew(tx: Tx, actor: Actor, input: DeploymentReport, refs: { releaseId?: string | null; changeId?: string | null }): Promise<Deployment | null> {
    const status = input.status ?? 'in_progress';
    const now = clock.now();
    const values: DeploymentValues = {
      ...(await resolveTarget(tx, input)),
      deployed_version: input.version,
      artifact: input.artifact ?? null,
      status,
      started_at: dateOf(input.startedAt) ?? null,
      finished_at: dateOf(input.finishedAt) ?? (isTerminal(status) ? now : null),
      pipeline_run_id: input.pipelineRunId ?? null,
      pipeline_url: input.pipelineUrl ?? null,
      release_id: refs.releaseId ?? null,
      change_id: refs.changeId ?? null,
    };
    assertTimes(values);
    const id = newId();
    const row = { ...values, id, source: input.source ?? 'api', external_id: input.externalId ?? null, reported_by: actor.id };
    if (!(await repo.insertIfAbsent(tx, row, now))) return null;
    await repo.mergeCommits(tx, id, commitValues(input.commits));
    const created = await load(tx, id);
    await recompute(tx, actor, [pairOf(values)]);
    await emit(tx, actor, 'deployment.created', 'deployment', created);
    await audit.record(tx, actor, { action: 'deployment.created', entityType: 'deployment', entityId: id, after: auditView(created) });
    return created;
  }

  /** Applies what changed (columns and commits); unchanged input leaves the row and its version alone. */
  async function applyUpdate(tx: Tx, actor: Actor, before: DeploymentRow, values: Partial<DeploymentValues>, commits: CommitValues[]): Promise<Deployment> {
    const merged = { ...before, ...values };
    if (merged.finished_at === null && isTerminal(merged.status)) merged.finished_at = clock.now();
    assertTimes(merged);
    const keys = [...new Set([...Object.keys(values), 'finished_at'])] as (keyof DeploymentValues)[];
    const changes: Partial<DeploymentValues> = Object.fromEntries(keys.filter((k) => !same(merged[k], before[k])).map((k) => [k, merged[k]]));
    const oldCommits = JSON.stringify(present(before).commits);
    await repo.mergeCommits(tx, before.id, commits);
    const commitsChanged = commits.length > 0 && JSON.stringify((await load(tx, before.id)).commits) !== oldCommits;
    if (Object.keys(changes).length === 0 && !commitsChanged) return present(before);
    await repo.update(tx, before.id, changes, clock.now());
    const after = await load(tx, before.id);
    await recompute(tx, actor, [pairOf(before), pairOf(merged)]);
    await emit(tx, actor, 'deployment.updated', 'deployment', after);
    await audit.record(tx, actor, { action: 'deployment.updated', entityType: 'deployment', entityId: before.id, before: auditView(present(before)), after: auditView(after) });
    return after;
  }

  /** A second report of the same deployment: fills what it knows, status only forward. */
  async function mergeReport(tx: Tx, actor: Actor, id: string, input: DeploymentReport, refs: { releaseId?: string | null; changeId?: string | null }) {
    const before = (await repo.find(tx, id))!;
    const values: Partial<DeploymentValues> = {
      ...(await resolveTarget(tx, input)),
      deployed_version: input.version,
      status: nextStatus(before.status, input.status),
      ...(input.artifact !== undefined && { artifact: input.artifact }),
      ...(input.startedAt !== undefined && { started_at: new Date(input.startedAt) }),
      ...(input.finishedAt !== undefined && { finished_at: new Date(input.finishedAt) }),
      ...(input.pipelineRunId !== undefined && { pipeline_run_id: input.pipelineRunId }),
      ...(input.pipelineUrl !== undefined && { pipeline_url: input.pipelineUrl }),
      ...(refs.releaseId !== undefined && { release_id: refs.releaseId }),
      ...(refs.changeId !== undefined && { change_id: refs.changeId }),
    };
    return applyUpdate(tx, actor, before, values, commitValues(input.commits));
  }

  return {
    async list(actor: Actor, query: DeploymentListQuery): Promise<Page<Deployment>> {
      assertCan(actor, 'deployment:read');
      const cursor = timeCursor(query.cursor);
      const empty = { items: [], nextCursor: null };
      const service = query.service === undefined ? undefined : await repo.findService(db, query.service);
      const environment = query.environment === undefined ? undefined : await repo.findEnvironment(db, query.environment);
      const release = query.release === undefined ? undefined : await repo.findRelease(db, query.release);
      const change = query.change === undefined ? undefined : await repo.findChange(db, query.change);
      if ((query.release !== undefined && !release) || (query.change !== undefined && !change)) return empty;
      const rows = await repo.list(db, {
        limit: query.limit, cursor,
        // a name the catalog does not know may still be a reported one
        service: query.service === undefined ? undefined : service ? { id: service.id } : { ref: query.service },
        environment: query.environment === undefined ? undefined : environment ? { id: environment.id } : { ref: query.environment },
        status: query.status, releaseId: release?.id, changeId: change?.id, unmatched: query.unmatched, from: dateOf(query.from), to: dateOf(query.to),
      });
      return toPage(rows, query.limit, (r) => ({ k: r.sort_at.toISOString(), id: r.id }), present);
    },

    async get(actor: Actor, id: string): Promise<Deployment> {
      assertCan(actor, 'deployment:read');
      const row = await repo.find(db, id);
      if (!row) throw new NotFound('Deployment', id);
      return present(row);
    },

    /** Creates a deployment, or updates the one with the same (source, externalId). */
    async report(actor: Actor, input: DeploymentReport): Promise<{ created: boolean; deployment: Deployment }> {
      assertCan(actor, 'deployment:report');
      return db.transaction().execute(async (tx) => {
        const refs = await resolveRefs(tx, input);
        const source = input.source ?? 'api';
        let locked = input.externalId === undefined ? undefined : await repo.lockByExternalId(tx, source, input.externalId);
        if (!locked) {
          const created = await insertNew(tx, actor, input, refs);
          if (created) return { created: true, deployment: created };
          // a concurrent report with the same externalId inserted it first: merge into that one
          locked = (await repo.lockByExternalId(tx, source, input.externalId!))!;
        }
        return { created: false, deployment: await mergeReport(tx, actor, locked.id, input, refs) };
      });
    },

    async update(actor: Actor, id: string, patch: DeploymentPatch, ifMatch?: number | '*'): Promise<Deployment> {
      assertCan(actor, 'deployment:report');
      return db.transaction().execute(async (tx) => {
        if (!(await repo.lock(tx, id))) throw new NotFound('Deployment', id);
        const before = (await repo.find(tx, id))!;
        assertVersion(ifMatch, before.version, 'The deployment');
        const refs = await resolveRefs(tx, patch);
        const values: Partial<DeploymentValues> = {
          status: nextStatus(before.status, patch.status),
          ...(patch.version !== undefined && { deployed_version: patch.version }),
          ...(patch.artifact !== undefined && { artifact: patch.artifact }),
          ...(patch.startedAt !== undefined && { started_at: new Date(patch.startedAt) }),
          ...(patch.finishedAt !== undefined && { finished_at: new Date(patch.finishedAt) }),
          ...(patch.pipelineUrl !== undefined && { pipeline_url: patch.pipelineUrl }),
          ...(refs.releaseId !== undefined && { release_id: refs.releaseId }),
          ...(refs.changeId !== undefined && { change_id: refs.changeId }),
        };
        return applyUpdate(tx, actor, before, values, commitValues(patch.commits));
      });
    },

    /** Attaches the deployments reported under a name to a catalog entry, and remembers the name. */
    async mapUnmatched(actor: Actor, input: UnmatchedMap): Promise<{ mapped: number }> {
      assertCan(actor, 'deployment:map');
      return db.transaction().execute(async (tx) => {
        const now = clock.now();
        let rows: { id: string; service_id: string | null; environment_id: string | null }[];
        let target: { id: string; key: string };
        let ref: string;
        if (input.serviceRef !== undefined) {
          ref = input.serviceRef;
          const found = await repo.findService(tx, input.service!);
          if (!found) throw new Invalid('unknown_reference', `The service '${input.service}' does not exist.`, [{ path: 'service', message: 'no such service' }]);
          target = found;
          rows = await repo.attachService(tx, ref, found.id, now);
          await repo.saveServiceAlias(tx, ref, found.id);
        } else {
          ref = input.environmentRef!;
          const found = await repo.findEnvironment(tx, input.environment!);
          if (!found) throw new Invalid('unknown_reference', `The environment '${input.environment}' does not exist.`, [{ path: 'environment', message: 'no such environment' }]);
          target = found;
          rows = await repo.attachEnvironment(tx, ref, found.id, now);
          await repo.saveEnvironmentAlias(tx, ref, found.id);
        }
        await recompute(tx, actor, rows.map(pairOf));
        for (const d of await repo.findMany(tx, rows.map((r) => r.id))) await emit(tx, actor, 'deployment.updated', 'deployment', d);
        const kind = input.serviceRef !== undefined ? 'service' : 'environment';
        await audit.record(tx, actor, { action: 'deployment.unmatched_mapped', entityType: kind, entityId: target.id, after: { [`${kind}Ref`]: ref, [kind]: target.key, mapped: rows.length } });
        return { mapped: rows.length };
      });
    },

    async inventory(actor: Actor, query: InventoryQuery): Promise<Inventory> {
      assertCan(actor, 'deployment:read');
      const envs = await repo.inventoryEnvironments(db);
      const environments = envs.map((e) => ({ key: e.key, name: e.name, tier: e.tier, order: e.sort_order }));
      const service = query.service === undefined ? undefined : await repo.findService(db, query.service);
      const team = query.team === undefined ? undefined : await repo.findTeam(db, query.team);
      if ((query.service !== undefined && !service) || (query.team !== undefined && !team)) return { environments, services: [] };
      const services = await repo.inventoryServices(db, { serviceId: service?.id, teamId: team?.id });
      const ids = services.map((s) => s.id);
      const [cells, latest] = await Promise.all([repo.inventoryCells(db, ids), repo.latestPerPair(db, ids)]);
      const cellOf = new Map(cells.map((c) => [`${c.service_id}:${c.environment_id}`, c]));
      const lastOf = new Map(latest.map((l) => [`${l.service_id}:${l.environment_id}`, l]));
      const rows = services.map((s) => {
        const running = envs.flatMap((e) => {
          const c = cellOf.get(`${s.id}:${e.id}`);
          return c ? [{ environment: e.key, version: c.deployed_version }] : [];
        });
        const detail = driftDetail(running);
        return {
          key: s.key, name: s.name, tier: s.tier, team: s.team,
          cells: Object.fromEntries(envs.map((e) => {
            const c = cellOf.get(`${s.id}:${e.id}`);
            return [e.key, c ? { version: c.deployed_version, since: c.since.toISOString(), deploymentId: c.deployment_id } : null];
          })),
          last: Object.fromEntries(envs.map((e) => {
            const l = lastOf.get(`${s.id}:${e.id}`);
            return [e.key, l ? { id: l.id, version: l.deployed_version, status: l.status, at: l.sort_at.toISOString() } : null];
          })),
          drift: detail !== null,
          driftDetail: detail,
        };
      });
      return { environments, services: query.drift === undefined ? rows : rows.filter((r) => r.drift === query.drift) };
    },

    async history(actor: Actor, query: InventoryHistoryQuery): Promise<Page<InventoryHistoryEntry>> {
      assertCan(actor, 'deployment:read');
      const service = await repo.findService(db, query.service);
      if (!service) throw new NotFound('Service', query.service);
      const environment = await repo.findEnvironment(db, query.environment);
      if (!environment) throw new NotFound('Environment', query.environment);
      const rows = await repo.history(db, { serviceId: service.id, environmentId: environment.id }, query.limit, timeCursor(query.cursor));
      const deployments = new Map((await repo.findMany(db, rows.map((r) => r.id))).map((d) => [d.id, present(d)]));
      return toPage(rows, query.limit, (r) => ({ k: r.finished_at.toISOString(), id: r.id }), (r) => ({
        version: deployments.get(r.id)!.deployedVersion, since: r.finished_at.toISOString(), until: iso(r.until), deployment: deployments.get(r.id)!,
      }));
    },
  };
}

export type DeploymentsService = ReturnType<typeof createDeploymentsService>;
