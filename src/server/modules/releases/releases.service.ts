import type { Db, Tx } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Forbidden, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, isRole, type Actor } from '../identity/permissions.js';
import type { ReleaseTemplatesRepo } from '../release-templates/release-templates.repo.js';
import type { ServicesRepo } from '../services/services.repo.js';
import { computeHealth, dependencyWarnings } from './releases.health.js';
import type { CriterionValues, GateJson, LockedRelease, PhaseJson, PhaseValues, ReleaseRow, ReleasesRepo, ReleaseValues } from './releases.repo.js';
import type {
  DependenciesPut, Gate, GateInput, GatePatch, Phase, PhaseInput, PhasePatch, Release, ReleaseCreate, ReleaseListQuery, ReleasePatch,
  ReleaseStatus, ReleaseType, TransitionInput, TransitionRule, TransitionRulesPut,
} from './releases.schemas.js';

const DAY = 86_400_000;
/** Timestamps inside json_build_object come back as text ('2030-01-01T00:00:00+00:00'): normalise to UTC 'Z'. */
const iso = (s: string | null) => {
  if (s === null) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
};
const isoD = (d: Date | null) => (d === null ? null : d.toISOString());
const toDate = (s: string | null | undefined) => (s === null || s === undefined ? null : new Date(s));
const TERMINAL: ReleaseStatus[] = ['released', 'canceled'];

export function presentPhase(p: PhaseJson): Phase {
  return {
    id: p.id, key: p.key, name: p.name, position: p.position,
    plannedStart: iso(p.planned_start), plannedEnd: iso(p.planned_end), actualStart: iso(p.actual_start), actualEnd: iso(p.actual_end),
    environments: p.environments, version: p.version,
  };
}

export function presentGate(g: GateJson): Gate {
  return {
    id: g.id, key: g.key, name: g.name, afterPhase: g.after_phase, plannedAt: iso(g.planned_at), status: g.status,
    approverTeam: g.approver_team, quorum: g.quorum, pushedFromGateId: g.pushed_from_gate_id,
    criteria: g.criteria.map((c) => ({ ...c, kind: c.kind as Gate['criteria'][number]['kind'] })), version: g.version,
  };
}

export function presentRelease(row: ReleaseRow, now: Date): Release {
  const phases = row.phases.map(presentPhase);
  const gates = row.gates.map(presentGate);
  const health = computeHealth(
    {
      status: row.status, plannedStart: row.planned_start, plannedEnd: row.planned_end,
      phases: row.phases.map((p) => ({ key: p.key, name: p.name, plannedEnd: toDate(p.planned_end), actualEnd: toDate(p.actual_end) })),
      gates: row.gates.map((g) => ({ key: g.key, name: g.name, status: g.status, plannedAt: toDate(g.planned_at) })),
      scope: { total: row.scope_total, done: row.scope_done },
    },
    now,
  );
  return {
    id: row.id, key: row.key, name: row.name, releaseVersion: row.release_version, type: row.type, status: row.status,
    parent: row.parent, ownerTeam: row.owner_team, description: row.description,
    plannedStart: isoD(row.planned_start), plannedEnd: isoD(row.planned_end), actualStart: isoD(row.actual_start), actualEnd: isoD(row.actual_end),
    plannedAt: isoD(row.planned_at), templateId: row.template_id, templateVersion: row.template_version,
    services: row.services, dependsOn: row.depends_on.map(({ id, key, name }) => ({ id, key, name })),
    phases, gates, scope: { total: row.scope_total, done: row.scope_done }, health,
    warnings: dependencyWarnings({ plannedEnd: row.planned_end }, row.depends_on.map((d) => ({ key: d.key, plannedEnd: toDate(d.planned_end) }))),
    version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

/** The audited shape: what a person would want to see change. */
const auditView = (r: Release) => ({
  key: r.key, name: r.name, releaseVersion: r.releaseVersion, type: r.type, status: r.status, parent: r.parent?.key ?? null,
  ownerTeam: r.ownerTeam?.key ?? null, description: r.description, plannedStart: r.plannedStart, plannedEnd: r.plannedEnd,
  services: r.services.map((s) => (s.version ? `${s.key}@${s.version}` : s.key)), dependsOn: r.dependsOn.map((d) => d.key),
  phases: r.phases.map((p) => p.key), gates: r.gates.map((g) => g.key), templateVersion: r.templateVersion,
});
const phaseView = (p: Phase) => ({ key: p.key, name: p.name, position: p.position, plannedStart: p.plannedStart, plannedEnd: p.plannedEnd, actualStart: p.actualStart, actualEnd: p.actualEnd, environments: p.environments.map((e) => e.key) });
const gateView = (g: Gate) => ({ key: g.key, name: g.name, afterPhase: g.afterPhase, plannedAt: g.plannedAt, approverTeam: g.approverTeam?.key ?? null, quorum: g.quorum, criteria: g.criteria.map((c) => ({ kind: c.kind, config: c.config })) });

interface PhaseSpec {
  key: string;
  position: number;
  planned_start: Date | null;
  planned_end: Date | null;
  actual_start?: Date | null;
  actual_end?: Date | null;
}

/**
 * Phases are consecutive periods: each ends no earlier than it starts, and a phase never starts
 * before the one positioned ahead of it has ended. `pathOf` names the offending field for the caller's body.
 */
export function phaseScheduleErrors(phases: PhaseSpec[], pathOf: (key: string, field: string) => string): FieldError[] {
  const errors: FieldError[] = [];
  const sorted = [...phases].sort((a, b) => a.position - b.position);
  for (const p of sorted) {
    if (p.planned_start && p.planned_end && p.planned_end < p.planned_start) errors.push({ path: pathOf(p.key, 'plannedEnd'), message: `phase '${p.key}' ends before it starts` });
    if (p.actual_start && p.actual_end && p.actual_end < p.actual_start) errors.push({ path: pathOf(p.key, 'actualEnd'), message: `phase '${p.key}' actually ended before it started` });
  }
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      const aEnd = a.planned_end ?? a.planned_start;
      const bStart = b.planned_start ?? b.planned_end;
      if (aEnd && bStart && bStart < aEnd) {
        errors.push({ path: pathOf(b.key, b.planned_start ? 'plannedStart' : 'plannedEnd'), message: `phase '${b.key}' (position ${b.position}) overlaps or precedes phase '${a.key}' (position ${a.position}), which ends ${aEnd.toISOString()}` });
      }
    }
  }
  return errors;
}

function assertSchedule(phases: PhaseSpec[], pathOf: (key: string, field: string) => string) {
  const errors = phaseScheduleErrors(phases, pathOf);
  if (errors.length) throw new Invalid('invalid_phase_schedule', `The phases do not form a valid schedule: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
}

function assertWindow(start: Date | null, end: Date | null) {
  if (start && end && end < start) {
    throw new Invalid('invalid_dates', 'The planned end is before the planned start.', [{ path: 'plannedEnd', message: 'must not be before plannedStart' }]);
  }
}

const criteriaValues = (c: { kind: CriterionValues['kind']; config?: Record<string, unknown> }[] | null | undefined): CriterionValues[] =>
  (c ?? []).map((x) => ({ kind: x.kind, config: x.config ?? {} }));

export interface ReleasesDeps {
  db: Db;
  repo: ReleasesRepo;
  services: Pick<ServicesRepo, 'resolveRefs'>;
  templates: Pick<ReleaseTemplatesRepo, 'find'>;
  teams: { find(db: Tx | Db, ref: string): Promise<{ id: string } | undefined> };
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
  /** Gates are evaluated on write: a gate whose criteria change is evaluated in the same transaction. */
  gates: { evaluateGateInTx(tx: Tx, actor: Actor, gateId: string): Promise<unknown> };
}

export function createReleasesService(deps: ReleasesDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, r: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'release', entityId: r.id, version: r.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  async function load(tx: Tx | Db, id: string): Promise<Release> {
    return presentRelease((await repo.find(tx, id))!, clock.now());
  }

  async function lockOr404(tx: Tx, ref: string, ifMatch?: number | '*'): Promise<LockedRelease> {
    const locked = await repo.lock(tx, ref);
    if (!locked) throw new NotFound('Release', ref);
    assertVersion(ifMatch, locked.version, 'The release');
    return locked;
  }

  async function assertTeam(tx: Tx, teamId: string | null | undefined, path = 'ownerTeamId') {
    if (teamId && !(await repo.teamExists(tx, teamId))) throw new Invalid('unknown_reference', `The team '${teamId}' does not exist.`, [{ path, message: 'no such team' }]);
  }

  /** Only a project release has a parent, and only an enterprise release is one; so parent chains cannot loop. */
  async function resolveParent(tx: Tx, self: { id: string; type: ReleaseType }, parentRef: string | null): Promise<string | null> {
    if (parentRef === null) return null;
    const parent = await repo.findBrief(tx, parentRef);
    if (!parent) throw new Invalid('unknown_reference', `The parent release '${parentRef}' does not exist.`, [{ path: 'parentId', message: 'no such release' }]);
    if (self.type !== 'project') throw new Invalid('invalid_parent', `Only a project release can have a parent; this one is ${self.type}.`, [{ path: 'parentId', message: 'only project releases have a parent' }]);
    if (parent.type !== 'enterprise') throw new Invalid('invalid_parent', `The parent must be an enterprise release; '${parent.key}' is ${parent.type}.`, [{ path: 'parentId', message: 'not an enterprise release' }]);
    // belt and braces: walk up in case rules change one day
    let cursor: { id: string; parent_id: string | null } | undefined = parent;
    for (let depth = 0; cursor && depth < 20; depth++) {
      if (cursor.id === self.id) throw new Invalid('parent_cycle', `Making '${parent.key}' the parent would create a cycle.`, [{ path: 'parentId', message: 'cycle' }]);
      cursor = cursor.parent_id ? await repo.findBrief(tx, cursor.parent_id) : undefined;
    }
    return parent.id;
  }

  async function resolveServices(tx: Tx, input: ReleaseCreate['services']): Promise<{ id: string; version: string | null }[]> {
    const items = (input ?? []).map((s) => (typeof s === 'string' ? { service: s, version: null } : { service: s.service, version: s.version ?? null }));
    const { found, missing } = await deps.services.resolveRefs(tx, [...new Set(items.map((i) => i.service))]);
    if (missing.length) throw new Invalid('unknown_reference', `These services do not exist: ${missing.join(', ')}.`, missing.map((m) => ({ path: 'services', message: `no service '${m}'` })));
    const byId = new Map<string, string | null>();
    for (const i of items) {
      const id = found.get(i.service)!;
      if (byId.has(id) && byId.get(id) !== i.version) throw new Invalid('duplicate_service', `The service '${i.service}' is listed twice with different versions.`, [{ path: 'services', message: `'${i.service}' twice` }]);
      byId.set(id, i.version);
    }
    return [...byId].map(([id, version]) => ({ id, version }));
  }

  async function resolveEnvironments(tx: Tx, refs: string[], path: string): Promise<string[]> {
    const { found, missing } = await repo.resolveEnvironments(tx, [...new Set(refs)]);
    if (missing.length) throw new Invalid('unknown_reference', `These environments do not exist: ${missing.join(', ')}.`, missing.map((m) => ({ path, message: `no environment '${m}'` })));
    return [...new Set(found.values())];
  }

  async function setDependencies(tx: Tx, self: { id: string; key: string }, refs: string[]) {
    await repo.lockDependencyGraph(tx);
    const { found, missing } = await repo.resolveReleaseRefs(tx, [...new Set(refs)]);
    if (missing.length) throw new Invalid('unknown_reference', `These releases do not exist: ${missing.join(', ')}.`, missing.map((m) => ({ path: 'dependsOn', message: `no release '${m}'` })));
    const ids = [...new Set([...found.values()].map((f) => f.id))];
    if (ids.includes(self.id)) throw new Invalid('dependency_cycle', `A release cannot depend on itself ('${self.key}').`, [{ path: 'dependsOn', message: 'self-dependency' }], 422);
    const path = await repo.findCyclePath(tx, self.id, ids);
    if (path) {
      const cycle = [self.key, ...path].join(' → ');
      throw new Invalid('dependency_cycle', `This dependency would create a cycle: ${cycle}.`, [{ path: 'dependsOn', message: `cycle ${cycle}` }]);
    }
    await repo.setDependencies(tx, self.id, ids);
  }

  interface NewPhase extends PhaseValues { envIds: string[] }
  interface NewGate { key: string; name: string; afterPhase: string | null; planned_at: Date | null; approver_team_id: string | null; quorum: number; criteria: CriterionValues[] }

  async function insertPhasesAndGates(tx: Tx, releaseId: string, phases: NewPhase[], gates: NewGate[], fallbackGateDate: Date | null) {
    const phaseIds = new Map<string, { id: string; end: Date | null }>();
    for (const p of phases) {
      const id = newId();
      const { envIds, ...values } = p;
      await repo.insertPhase(tx, id, releaseId, values);
      await repo.setPhaseEnvironments(tx, id, envIds);
      phaseIds.set(p.key, { id, end: p.planned_end });
    }
    for (const g of gates) {
      const after = g.afterPhase ? phaseIds.get(g.afterPhase)! : null;
      const id = newId();
      await repo.insertGate(tx, id, releaseId, {
        key: g.key, name: g.name, after_phase_id: after?.id ?? null, planned_at: g.planned_at ?? (after ? after.end : fallbackGateDate),
        approver_team_id: g.approver_team_id, quorum: g.quorum, pushed_from_gate_id: null,
      });
      await repo.setCriteria(tx, id, g.criteria, newId);
    }
  }

  /** Phases and gates given explicitly on create, checked like the sub-resource endpoints check them. */
  async function explicitPlan(tx: Tx, input: ReleaseCreate): Promise<{ phases: NewPhase[]; gates: NewGate[] }> {
    const errors: FieldError[] = [];
    const phaseInputs = input.phases ?? [];
    const index = new Map<string, number>();
    const positions = new Set<number>();
    const phases: NewPhase[] = [];
    for (const [i, p] of phaseInputs.entries()) {
      if (index.has(p.key)) errors.push({ path: `phases.${i}.key`, message: `duplicate phase key '${p.key}'` });
      index.set(p.key, i);
      const position = p.position ?? i + 1;
      if (positions.has(position)) errors.push({ path: `phases.${i}.position`, message: `position ${position} is used twice` });
      positions.add(position);
      phases.push({
        key: p.key, name: p.name, position, planned_start: toDate(p.plannedStart), planned_end: toDate(p.plannedEnd), actual_start: null, actual_end: null,
        envIds: await resolveEnvironments(tx, p.environments ?? [], `phases.${i}.environments`),
      });
    }
    const gateKeys = new Set<string>();
    const gates: NewGate[] = [];
    for (const [i, g] of (input.gates ?? []).entries()) {
      if (gateKeys.has(g.key)) errors.push({ path: `gates.${i}.key`, message: `duplicate gate key '${g.key}'` });
      gateKeys.add(g.key);
      if (g.afterPhase && !index.has(g.afterPhase)) errors.push({ path: `gates.${i}.afterPhase`, message: `no phase '${g.afterPhase}' in this release` });
      await assertTeam(tx, g.approverTeamId, `gates.${i}.approverTeamId`);
      gates.push({ key: g.key, name: g.name, afterPhase: g.afterPhase ?? null, planned_at: toDate(g.plannedAt), approver_team_id: g.approverTeamId ?? null, quorum: g.quorum ?? 1, criteria: criteriaValues(g.criteria) });
    }
    if (errors.length) throw new Invalid('invalid_plan', `The phases or gates are not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
    assertSchedule(phases, (key, field) => `phases.${index.get(key)}.${field}`);
    return { phases, gates };
  }

  async function templatePlan(tx: Tx, input: ReleaseCreate) {
    const ref = input.templateId ?? input.templateKey!;
    const path = input.templateId ? 'templateId' : 'templateKey';
    const template = await deps.templates.find(tx, ref);
    if (!template) throw new Invalid('unknown_reference', `The release template '${ref}' does not exist.`, [{ path, message: 'no such template' }]);
    if (!input.plannedStart) throw new Invalid('validation_failed', 'Creating a release from a template needs plannedStart: the phases are laid out from it.', [{ path: 'plannedStart', message: 'required with a template' }]);
    const def = template.definition;
    let at = new Date(input.plannedStart).getTime();
    const phases: NewPhase[] = [];
    for (const [i, p] of def.phases.entries()) {
      const start = new Date(at);
      at += p.defaultDurationDays * DAY;
      phases.push({
        key: p.key, name: p.name, position: i + 1, planned_start: start, planned_end: new Date(at), actual_start: null, actual_end: null,
        envIds: await resolveEnvironments(tx, p.environments ?? [], path),
      });
    }
    const teamIds = await repo.teamIdsByKey(tx, (def.gates ?? []).flatMap((g) => (g.approverTeam ? [g.approverTeam] : [])));
    const gates: NewGate[] = (def.gates ?? []).map((g) => {
      if (g.approverTeam && !teamIds.has(g.approverTeam)) throw new Invalid('unknown_reference', `The template's approver team '${g.approverTeam}' no longer exists.`, [{ path, message: `no team '${g.approverTeam}'` }]);
      return { key: g.key, name: g.name, afterPhase: g.afterPhase ?? null, planned_at: null, approver_team_id: g.approverTeam ? teamIds.get(g.approverTeam)! : null, quorum: g.quorum ?? 1, criteria: criteriaValues(g.criteria) };
    });
    return { template: { id: template.id, version: template.template_version }, phases, gates, end: new Date(at) };
  }

  /** The phases of a release as they would be after a change, for the schedule check. */
  async function currentPhases(tx: Tx, releaseId: string): Promise<(PhaseSpec & { id: string; name: string })[]> {
    return (await repo.phaseRows(tx, releaseId)).map((p) => ({ id: p.id, key: p.key, name: p.name, position: p.position, planned_start: p.planned_start, planned_end: p.planned_end, actual_start: p.actual_start, actual_end: p.actual_end }));
  }

  async function phaseOr404(tx: Tx, release: { id: string; key: string }, phaseRef: string) {
    const phase = (await repo.phaseRows(tx, release.id)).find((p) => p.key === phaseRef || p.id === phaseRef);
    if (!phase) throw new NotFound('Phase', `${release.key}/${phaseRef}`);
    return phase;
  }

  async function gateOr404(tx: Tx, release: { id: string; key: string }, gateRef: string) {
    const gate = (await repo.gateRows(tx, release.id)).find((g) => g.key === gateRef || g.id === gateRef);
    if (!gate) throw new NotFound('Gate', `${release.key}/${gateRef}`);
    return gate;
  }

  async function afterPhaseId(tx: Tx, releaseId: string, key: string | null): Promise<{ id: string; end: Date | null } | null> {
    if (key === null) return null;
    const phase = (await repo.phaseRows(tx, releaseId)).find((p) => p.key === key);
    if (!phase) throw new Invalid('unknown_reference', `The release has no phase '${key}' for the gate to follow.`, [{ path: 'afterPhase', message: `no phase '${key}'` }]);
    return { id: phase.id, end: phase.planned_end };
  }

  /** Sub-resource changes bump the release's version too: the release is the aggregate clients cache. */
  async function touched(tx: Tx, actor: Actor, releaseId: string, action: string, entry: { before?: Record<string, unknown> | null; after?: Record<string, unknown> | null }) {
    await repo.update(tx, releaseId, {}, clock.now());
    const after = await load(tx, releaseId);
    await emit(tx, actor, 'release.updated', after);
    await audit.record(tx, actor, { action, entityType: 'release', entityId: releaseId, ...entry });
    return after;
  }

  function rulesFor(all: { from_status: string; to_status: string; roles: string[] }[], from: ReleaseStatus, actor: Actor) {
    const next = all.filter((r) => r.from_status === from);
    return next.map((r) => ({ status: r.to_status as ReleaseStatus, roles: r.roles, allowed: actor.roles.some((role) => r.roles.includes(role)) }));
  }

  return {
    async list(actor: Actor, query: ReleaseListQuery): Promise<Page<Release>> {
      assertCan(actor, 'release:read');
      let teamId: string | undefined;
      let parentId: string | undefined;
      if (query.team) {
        const team = await deps.teams.find(db, query.team);
        if (!team) return { items: [], nextCursor: null };
        teamId = team.id;
      }
      if (query.parent) {
        const parent = await repo.findBrief(db, query.parent);
        if (!parent) return { items: [], nextCursor: null };
        parentId = parent.id;
      }
      const cursor = cursorFor(query.cursor, query.sort.field);
      const rows = await repo.list(db, { limit: query.limit, sort: query.sort, cursor, q: query.q, type: query.type, status: query.status, teamId, parentId });
      const now = clock.now();
      const sortValue = (r: ReleaseRow) => ({ key: r.key, name: r.name, updatedAt: r.updated_at.toISOString() })[query.sort.field];
      return toPage(rows, query.limit, (r) => ({ k: sortValue(r), id: r.id, s: query.sort.field }), (r) => presentRelease(r, now));
    },

    async get(actor: Actor, ref: string): Promise<Release> {
      assertCan(actor, 'release:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Release', ref);
      return presentRelease(row, clock.now());
    },

    async create(actor: Actor, input: ReleaseCreate): Promise<Release> {
      assertCan(actor, 'release:create');
      return db.transaction().execute(async (tx) => {
        const fromTemplate = input.templateId !== undefined || input.templateKey !== undefined;
        if (input.templateId !== undefined && input.templateKey !== undefined) {
          throw new Invalid('validation_failed', 'Give either templateId or templateKey, not both.', [{ path: 'templateKey', message: 'conflicts with templateId' }]);
        }
        if (fromTemplate && (input.phases !== undefined || input.gates !== undefined)) {
          throw new Invalid('validation_failed', 'A release made from a template gets its phases and gates from it; edit them afterwards.', [{ path: input.phases ? 'phases' : 'gates', message: 'not allowed with a template' }]);
        }
        // lock order as in putDependencies: the graph first, before this insert takes key-share locks on other releases
        if (input.dependsOn?.length) await repo.lockDependencyGraph(tx);
        const plannedStart = toDate(input.plannedStart);
        let plannedEnd = toDate(input.plannedEnd);
        assertWindow(plannedStart, plannedEnd);
        const id = newId();
        const parentId = await resolveParent(tx, { id, type: input.type }, input.parentId ?? null);
        await assertTeam(tx, input.ownerTeamId);
        const services = await resolveServices(tx, input.services);
        const plan = fromTemplate ? await templatePlan(tx, input) : { template: null, ...(await explicitPlan(tx, input)), end: null };
        if (plan.end && !plannedEnd) plannedEnd = plan.end;
        const values: ReleaseValues = {
          name: input.name, release_version: input.releaseVersion ?? '', type: input.type, parent_id: parentId, owner_team_id: input.ownerTeamId ?? null,
          description: input.description ?? '', planned_start: plannedStart, planned_end: plannedEnd,
        };
        try {
          await repo.insert(tx, id, input.key, values, plan.template, clock.now());
        } catch (err) {
          if (isUniqueViolation(err, 'releases_key_key')) {
            throw new Conflict('duplicate_key', `A release with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
          }
          throw err;
        }
        await repo.setServices(tx, id, services);
        await insertPhasesAndGates(tx, id, plan.phases, plan.gates, plannedStart);
        if (input.dependsOn?.length) await setDependencies(tx, { id, key: input.key }, input.dependsOn);
        const created = await load(tx, id);
        await emit(tx, actor, 'release.created', created);
        await audit.record(tx, actor, { action: 'release.created', entityType: 'release', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: ReleasePatch, ifMatch?: number | '*'): Promise<Release> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref, ifMatch);
        const before = await load(tx, locked.id);
        const values: Partial<ReleaseValues> = {};
        const type = patch.type ?? locked.type;
        if (patch.type !== undefined && patch.type !== locked.type) {
          values.type = patch.type;
          const children = await repo.children(tx, locked.id);
          if (children.length) throw new Invalid('invalid_type', `The release is the parent of ${children.map((c) => c.key).join(', ')}: it must stay an enterprise release.`, [{ path: 'type', message: 'has child releases' }]);
        }
        if (patch.parentId !== undefined) values.parent_id = await resolveParent(tx, { id: locked.id, type }, patch.parentId);
        else if (type !== 'project' && locked.parent_id) {
          throw new Invalid('invalid_parent', `Only a project release can have a parent: clear parentId to make it ${type}.`, [{ path: 'parentId', message: 'only project releases have a parent' }]);
        }
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.releaseVersion !== undefined) values.release_version = patch.releaseVersion ?? '';
        if (patch.description !== undefined) values.description = patch.description ?? '';
        if (patch.ownerTeamId !== undefined) {
          await assertTeam(tx, patch.ownerTeamId);
          values.owner_team_id = patch.ownerTeamId;
        }
        if (patch.plannedStart !== undefined) values.planned_start = toDate(patch.plannedStart);
        if (patch.plannedEnd !== undefined) values.planned_end = toDate(patch.plannedEnd);
        assertWindow(values.planned_start !== undefined ? values.planned_start : locked.planned_start, values.planned_end !== undefined ? values.planned_end : locked.planned_end);
        if (patch.services !== undefined) await repo.setServices(tx, locked.id, await resolveServices(tx, patch.services ?? []));
        if (Object.keys(values).length === 0 && patch.services === undefined) return before;
        await repo.update(tx, locked.id, values, clock.now());
        const after = await load(tx, locked.id);
        await emit(tx, actor, 'release.updated', after);
        await audit.record(tx, actor, { action: 'release.updated', entityType: 'release', entityId: locked.id, before: auditView(before), after: auditView(after) });
        return after;
      });
    },

    async remove(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'release:delete');
      await db.transaction().execute(async (tx) => {
        await repo.lockDependencyGraph(tx);
        const locked = await lockOr404(tx, ref, ifMatch);
        if (locked.status !== 'draft') throw new Conflict('release_not_draft', `Only a draft release can be deleted; '${locked.key}' is ${locked.status}. Cancel it instead.`, { currentStatus: locked.status });
        const reasons: string[] = [];
        const children = await repo.children(tx, locked.id);
        if (children.length) reasons.push(`child releases: ${children.map((c) => c.key).join(', ')}`);
        const dependents = await repo.dependents(tx, locked.id);
        if (dependents.length) reasons.push(`releases that depend on it: ${dependents.join(', ')}`);
        if (reasons.length) throw new Conflict('still_referenced', `The release '${locked.key}' is still referenced by ${reasons.join('; ')}. Remove those references first.`);
        const before = await load(tx, locked.id);
        await repo.delete(tx, locked.id);
        await emit(tx, actor, 'release.deleted', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'release.deleted', entityType: 'release', entityId: locked.id, before: auditView(before) });
      });
    },

    // ---- phases

    async listPhases(actor: Actor, ref: string): Promise<Page<Phase>> {
      return { items: (await this.get(actor, ref)).phases, nextCursor: null };
    },

    async getPhase(actor: Actor, ref: string, phaseRef: string): Promise<Phase> {
      const release = await this.get(actor, ref);
      const phase = release.phases.find((p) => p.key === phaseRef || p.id === phaseRef);
      if (!phase) throw new NotFound('Phase', `${release.key}/${phaseRef}`);
      return phase;
    },

    async addPhase(actor: Actor, ref: string, input: PhaseInput): Promise<{ release: Release; phase: Phase }> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        const phases = await currentPhases(tx, locked.id);
        if (phases.some((p) => p.key === input.key)) throw new Conflict('duplicate_key', `The release already has a phase '${input.key}'.`, { errors: [{ path: 'key', message: 'already taken' }] });
        const position = input.position ?? Math.max(0, ...phases.map((p) => p.position)) + 1;
        if (phases.some((p) => p.position === position)) throw new Invalid('position_taken', `Position ${position} is taken by phase '${phases.find((p) => p.position === position)!.key}'.`, [{ path: 'position', message: 'taken' }]);
        const values: PhaseValues = { key: input.key, name: input.name, position, planned_start: toDate(input.plannedStart), planned_end: toDate(input.plannedEnd), actual_start: null, actual_end: null };
        assertSchedule([...phases, values], (key, field) => (key === input.key ? field : `phases.${key}.${field}`));
        const envIds = await resolveEnvironments(tx, input.environments ?? [], 'environments');
        const id = newId();
        await repo.insertPhase(tx, id, locked.id, values);
        await repo.setPhaseEnvironments(tx, id, envIds);
        const phase = presentPhase((await repo.find(tx, locked.id))!.phases.find((p) => p.id === id)!);
        const release = await touched(tx, actor, locked.id, 'release.phase_added', { after: { phase: phaseView(phase) } });
        return { release, phase };
      });
    },

    async updatePhase(actor: Actor, ref: string, phaseRef: string, patch: PhasePatch, ifMatch?: number | '*'): Promise<Phase> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        const row = await phaseOr404(tx, locked, phaseRef);
        assertVersion(ifMatch, row.version, 'The phase');
        const before = presentPhase((await repo.find(tx, locked.id))!.phases.find((p) => p.id === row.id)!);
        const values: Partial<PhaseValues> = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.position !== undefined) values.position = patch.position;
        if (patch.plannedStart !== undefined) values.planned_start = toDate(patch.plannedStart);
        if (patch.plannedEnd !== undefined) values.planned_end = toDate(patch.plannedEnd);
        if (patch.actualStart !== undefined) values.actual_start = toDate(patch.actualStart);
        if (patch.actualEnd !== undefined) values.actual_end = toDate(patch.actualEnd);
        const phases = await currentPhases(tx, locked.id);
        if (values.position !== undefined && phases.some((p) => p.id !== row.id && p.position === values.position)) {
          throw new Invalid('position_taken', `Position ${values.position} is taken by phase '${phases.find((p) => p.id !== row.id && p.position === values.position)!.key}'.`, [{ path: 'position', message: 'taken' }]);
        }
        const merged = phases.map((p) => (p.id === row.id ? { ...p, ...values } : p));
        assertSchedule(merged, (key, field) => (key === row.key ? field : `phases.${key}.${field}`));
        const envIds = patch.environments !== undefined ? await resolveEnvironments(tx, patch.environments ?? [], 'environments') : undefined;
        if (Object.keys(values).length === 0 && envIds === undefined) return before;
        await repo.updatePhase(tx, row.id, values);
        if (values.planned_end !== undefined && values.planned_end?.getTime() !== row.planned_end?.getTime()) await repo.moveGatesWithPhase(tx, row.id, row.planned_end, values.planned_end);
        if (envIds !== undefined) await repo.setPhaseEnvironments(tx, row.id, envIds);
        const after = presentPhase((await repo.find(tx, locked.id))!.phases.find((p) => p.id === row.id)!);
        await touched(tx, actor, locked.id, 'release.phase_updated', { before: { phase: phaseView(before) }, after: { phase: phaseView(after) } });
        return after;
      });
    },

    async removePhase(actor: Actor, ref: string, phaseRef: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'release:update');
      await db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        const row = await phaseOr404(tx, locked, phaseRef);
        assertVersion(ifMatch, row.version, 'The phase');
        const gates = (await repo.gateRows(tx, locked.id)).filter((g) => g.after_phase_id === row.id);
        if (gates.length) throw new Conflict('still_referenced', `Gates follow the phase '${row.key}': ${gates.map((g) => g.key).join(', ')}. Move or remove them first.`);
        const before = presentPhase((await repo.find(tx, locked.id))!.phases.find((p) => p.id === row.id)!);
        await repo.deletePhase(tx, row.id);
        await touched(tx, actor, locked.id, 'release.phase_removed', { before: { phase: phaseView(before) } });
      });
    },

    // ---- gate definitions (evaluation, sign-off and waivers live in the gates module)

    async listGates(actor: Actor, ref: string): Promise<Page<Gate>> {
      return { items: (await this.get(actor, ref)).gates, nextCursor: null };
    },

    async getGate(actor: Actor, ref: string, gateRef: string): Promise<Gate> {
      const release = await this.get(actor, ref);
      const gate = release.gates.find((g) => g.key === gateRef || g.id === gateRef);
      if (!gate) throw new NotFound('Gate', `${release.key}/${gateRef}`);
      return gate;
    },

    async addGate(actor: Actor, ref: string, input: GateInput): Promise<Gate> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        if ((await repo.gateRows(tx, locked.id)).some((g) => g.key === input.key)) {
          throw new Conflict('duplicate_key', `The release already has a gate '${input.key}'.`, { errors: [{ path: 'key', message: 'already taken' }] });
        }
        const after = await afterPhaseId(tx, locked.id, input.afterPhase ?? null);
        await assertTeam(tx, input.approverTeamId, 'approverTeamId');
        const id = newId();
        await repo.insertGate(tx, id, locked.id, {
          key: input.key, name: input.name, after_phase_id: after?.id ?? null,
          planned_at: input.plannedAt !== undefined ? toDate(input.plannedAt) : after ? after.end : locked.planned_start,
          approver_team_id: input.approverTeamId ?? null, quorum: input.quorum ?? 1, pushed_from_gate_id: null,
        });
        await repo.setCriteria(tx, id, criteriaValues(input.criteria), newId);
        await deps.gates.evaluateGateInTx(tx, actor, id);
        const gate = presentGate((await repo.find(tx, locked.id))!.gates.find((g) => g.id === id)!);
        await touched(tx, actor, locked.id, 'release.gate_added', { after: { gate: gateView(gate) } });
        return gate;
      });
    },

    async updateGate(actor: Actor, ref: string, gateRef: string, patch: GatePatch, ifMatch?: number | '*'): Promise<Gate> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        const row = await gateOr404(tx, locked, gateRef);
        assertVersion(ifMatch, row.version, 'The gate');
        const before = presentGate((await repo.find(tx, locked.id))!.gates.find((g) => g.id === row.id)!);
        const values: Parameters<ReleasesRepo['updateGate']>[2] = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.afterPhase !== undefined) {
          const after = await afterPhaseId(tx, locked.id, patch.afterPhase);
          values.after_phase_id = after?.id ?? null;
          if (patch.plannedAt === undefined) values.planned_at = after ? after.end : locked.planned_start;
        }
        if (patch.plannedAt !== undefined) values.planned_at = toDate(patch.plannedAt);
        if (patch.approverTeamId !== undefined) {
          await assertTeam(tx, patch.approverTeamId, 'approverTeamId');
          values.approver_team_id = patch.approverTeamId;
        }
        if (patch.quorum !== undefined) values.quorum = patch.quorum;
        if (Object.keys(values).length === 0 && patch.criteria === undefined) return before;
        await repo.updateGate(tx, row.id, values);
        if (patch.criteria !== undefined) await repo.setCriteria(tx, row.id, criteriaValues(patch.criteria), newId);
        if (patch.criteria !== undefined || patch.quorum !== undefined || patch.approverTeamId !== undefined) await deps.gates.evaluateGateInTx(tx, actor, row.id);
        const after = presentGate((await repo.find(tx, locked.id))!.gates.find((g) => g.id === row.id)!);
        await touched(tx, actor, locked.id, 'release.gate_updated', { before: { gate: gateView(before) }, after: { gate: gateView(after) } });
        return after;
      });
    },

    async removeGate(actor: Actor, ref: string, gateRef: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'release:update');
      await db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        const row = await gateOr404(tx, locked, gateRef);
        assertVersion(ifMatch, row.version, 'The gate');
        const before = presentGate((await repo.find(tx, locked.id))!.gates.find((g) => g.id === row.id)!);
        await repo.deleteGate(tx, row.id);
        await touched(tx, actor, locked.id, 'release.gate_removed', { before: { gate: gateView(before) } });
      });
    },

    /** Copies an enterprise release's gate into each child project release, once (pushed_from_gate_id). */
    async pushDownGate(actor: Actor, ref: string, gateRef: string) {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref);
        if (locked.type !== 'enterprise') throw new Invalid('not_enterprise', `Only an enterprise release pushes gates down to its project releases; '${locked.key}' is ${locked.type}.`, [{ path: 'ref', message: 'not an enterprise release' }]);
        const gate = await gateOr404(tx, locked, gateRef);
        const criteria = (await repo.criteriaOf(tx, gate.id)).map((c) => ({ kind: c.kind, config: c.config }));
        const parentPhases = await repo.phaseRows(tx, locked.id);
        const afterKey = parentPhases.find((p) => p.id === gate.after_phase_id)?.key ?? null;
        const already = new Set(await repo.gatesPushedFrom(tx, gate.id));
        const result = { pushed: [] as string[], alreadyPresent: [] as string[], skipped: [] as { release: string; code: string; message: string }[] };
        for (const child of await repo.children(tx, locked.id)) {
          if (already.has(child.id)) {
            result.alreadyPresent.push(child.key);
            continue;
          }
          const childLocked = (await repo.lock(tx, child.id))!;
          if ((await repo.gateRows(tx, child.id)).some((g) => g.key === gate.key)) {
            result.skipped.push({ release: child.key, code: 'key_taken', message: `'${child.key}' already has its own gate '${gate.key}'.` });
            continue;
          }
          const childPhase = afterKey ? (await repo.phaseRows(tx, child.id)).find((p) => p.key === afterKey) : undefined;
          const id = newId();
          await repo.insertGate(tx, id, child.id, {
            key: gate.key, name: gate.name, after_phase_id: childPhase?.id ?? null, planned_at: childPhase ? childPhase.planned_end : gate.planned_at,
            approver_team_id: gate.approver_team_id, quorum: gate.quorum, pushed_from_gate_id: gate.id,
          });
          await repo.setCriteria(tx, id, criteria, newId);
          await deps.gates.evaluateGateInTx(tx, actor, id);
          await touched(tx, actor, childLocked.id, 'release.gate_pushed_down', { after: { gate: gate.key, from: locked.key } });
          result.pushed.push(child.key);
        }
        return result;
      });
    },

    // ---- status workflow

    async nextStatuses(actor: Actor, ref: string) {
      assertCan(actor, 'release:read');
      const release = await repo.findBrief(db, ref);
      if (!release) throw new NotFound('Release', ref);
      return { status: release.status, next: rulesFor(await repo.rules(db, release.type), release.status, actor) };
    },

    async transition(actor: Actor, ref: string, input: TransitionInput, ifMatch?: number | '*'): Promise<Release> {
      assertCan(actor, 'release:transition');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, ref, ifMatch);
        const next = rulesFor(await repo.rules(tx, locked.type), locked.status, actor);
        const mine = next.filter((n) => n.allowed).map((n) => n.status);
        const rule = next.find((n) => n.status === input.to);
        if (!rule) {
          throw new Conflict('state_transition_not_allowed', `A ${locked.type} release cannot go from ${locked.status} to ${input.to}. Allowed for you: ${mine.join(', ') || 'none'}.`, { currentStatus: locked.status, allowed: mine });
        }
        if (!rule.allowed) {
          throw new Forbidden(`Moving a ${locked.type} release from ${locked.status} to ${input.to} needs one of the roles: ${rule.roles.join(', ')}.`, 'transition_not_permitted', { currentStatus: locked.status, roles: rule.roles, allowed: mine });
        }
        const before = await load(tx, locked.id);
        const now = clock.now();
        const values: Parameters<ReleasesRepo['update']>[2] = { status: input.to };
        if (input.to === 'planned') values.planned_at = now;
        if (input.to === 'draft') values.planned_at = null;
        if (input.to === 'in_progress' && !before.actualStart) values.actual_start = now;
        if (input.to === 'released') values.actual_end = now;
        await repo.update(tx, locked.id, values, now);
        const after = await load(tx, locked.id);
        await emit(tx, actor, 'release.transitioned', after);
        await audit.record(tx, actor, {
          action: 'release.transitioned', entityType: 'release', entityId: locked.id,
          before: { status: before.status }, after: { status: after.status, ...(input.reason ? { reason: input.reason } : {}) },
        });
        return after;
      });
    },

    async listRules(actor: Actor): Promise<{ items: TransitionRule[]; nextCursor: null }> {
      assertCan(actor, 'release:read');
      const rows = await repo.rules(db);
      return { items: rows.map((r) => ({ releaseType: r.release_type, from: r.from_status, to: r.to_status, roles: r.roles })), nextCursor: null };
    },

    /** Replaces the rules of every release type named in the body; other types keep theirs. */
    async replaceRules(actor: Actor, input: TransitionRulesPut) {
      assertCan(actor, 'release_rules:manage');
      const errors: FieldError[] = [];
      const seen = new Set<string>();
      input.items.forEach((r, i) => {
        const id = `${r.releaseType}:${r.from}:${r.to}`;
        if (seen.has(id)) errors.push({ path: `items.${i}`, message: `duplicate rule ${r.releaseType} ${r.from} → ${r.to}` });
        seen.add(id);
        if (r.from === r.to) errors.push({ path: `items.${i}.to`, message: 'a transition must change the status' });
        if (TERMINAL.includes(r.from)) errors.push({ path: `items.${i}.from`, message: `${r.from} is final: no transition leaves it` });
        r.roles.forEach((role, j) => {
          if (!isRole(role)) errors.push({ path: `items.${i}.roles.${j}`, message: `no role '${role}'` });
        });
      });
      if (errors.length) throw new Invalid('invalid_rules', `The transition rules are not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
      return db.transaction().execute(async (tx) => {
        await repo.lockRules(tx);
        const types = [...new Set(input.items.map((r) => r.releaseType))];
        for (const type of types) {
          const before = (await repo.rules(tx, type)).map((r) => `${r.from_status} → ${r.to_status}: ${r.roles.join(', ')}`);
          const mine = input.items.filter((r) => r.releaseType === type);
          await repo.replaceRules(tx, type, mine.map((r) => ({ from: r.from, to: r.to, roles: [...new Set(r.roles)] })));
          const after = (await repo.rules(tx, type)).map((r) => `${r.from_status} → ${r.to_status}: ${r.roles.join(', ')}`);
          await publishEvent(outbox, tx, { type: 'release_rules.updated', entityType: 'release_transition_rules', entityId: type, version: null, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
          await audit.record(tx, actor, { action: 'release_rules.updated', entityType: 'release_transition_rules', entityId: type, before: { rules: before }, after: { rules: after } });
        }
        const rows = await repo.rules(tx);
        return { items: rows.map((r) => ({ releaseType: r.release_type, from: r.from_status, to: r.to_status, roles: r.roles })), nextCursor: null };
      });
    },

    // ---- dependencies

    async putDependencies(actor: Actor, ref: string, input: DependenciesPut, ifMatch?: number | '*'): Promise<Release> {
      assertCan(actor, 'release:update');
      return db.transaction().execute(async (tx) => {
        await repo.lockDependencyGraph(tx); // before the row lock, like services
        const locked = await lockOr404(tx, ref, ifMatch);
        const before = await load(tx, locked.id);
        await setDependencies(tx, locked, input.dependsOn);
        const beforeKeys = before.dependsOn.map((d) => d.key);
        const afterKeys = (await repo.find(tx, locked.id))!.depends_on.map((d) => d.key);
        if (JSON.stringify(afterKeys) === JSON.stringify(beforeKeys)) return before;
        return touched(tx, actor, locked.id, 'release.dependencies_updated', { before: { dependsOn: beforeKeys }, after: { dependsOn: afterKeys } });
      });
    },
  };
}

export type ReleasesService = ReturnType<typeof createReleasesService>;
