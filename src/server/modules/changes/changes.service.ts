import type { ChangeStateValue, RiskLevel } from '../../db/schema.js';
import type { Db, Executor, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import { CHANGE_STATES, type ApprovalGate, type ChangeAssessor, type ChangeGovernor, type ChangeSnapshot, type ChangeStateName, type ChangeWorkflow, type PolicyVerdict } from './change-contracts.js';
import { snapshotOf, type ChangeCore, type ChangeRow, type ChangesRepo, type ChangeValues, type TaskJson } from './changes.repo.js';
import {
  stateName, type Change, type ChangeCreate, type ChangeListQuery, type ChangePatch, type ChangeTask, type HistoryEntry, type NextStates,
  type RiskOverrideInput, type TemplateDefinition, type TransitionInput,
} from './changes.schemas.js';
import { missingFor, nextStatesOf, stateRef, TERMINAL, type RequirementView } from './changes.state-machine.js';

const DAY = 86_400_000;
/** Post-implementation review of an emergency change: due this long after its planned end (or its creation). */
const PIR_DUE_DAYS = 5;
const isoD = (d: Date | null) => (d === null ? null : d.toISOString());
const iso = (s: string | null) => (s === null ? null : Number.isNaN(new Date(s).getTime()) ? s : new Date(s).toISOString());
const toDate = (s: string | null | undefined) => (s === null || s === undefined ? null : new Date(s));
const sameTime = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);
const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

function presentTask(k: TaskJson): ChangeTask {
  return { id: k.id, kind: k.kind, title: k.title, dueAt: iso(k.due_at), status: k.status, assigneeId: k.assignee_id, completedAt: iso(k.completed_at), createdAt: iso(k.created_at)! };
}

export function presentChange(r: ChangeRow): Change {
  return {
    id: r.id, number: r.number, type: r.type, state: stateRef(stateName(r.state)), title: r.title, description: r.description,
    justification: r.justification, impact: r.impact,
    securityImpact: r.security_impact === null ? null : { level: r.security_impact, notes: r.security_impact_notes },
    implementationPlan: r.implementation_plan, backoutPlan: r.backout_plan, testPlan: r.test_plan,
    plannedStart: isoD(r.planned_start), plannedEnd: isoD(r.planned_end), actualStart: isoD(r.actual_start), actualEnd: isoD(r.actual_end),
    closeCode: r.close_code, closeNotes: r.close_notes, onHold: r.on_hold, onHoldReason: r.on_hold_reason, emergencyReason: r.emergency_reason,
    services: r.services, environments: r.environments, release: r.release,
    workItems: r.work_items.map((w) => ({ id: w.id, source: w.source, externalKey: w.external_key, title: w.title })),
    assignmentTeam: r.assignment_team, assignee: r.assignee, requestedBy: r.requester,
    template: r.template && r.template_version !== null ? { ...r.template, version: r.template_version } : null,
    risk: { level: r.risk_level, score: r.risk_score, factors: r.risk_factors, override: r.risk_override, effectiveLevel: r.risk_override?.level ?? r.risk_level },
    conflicts: r.conflicts, conflictsCheckedAt: isoD(r.conflicts_checked_at), policy: r.policy, approvalRound: r.approval_round, tasks: r.tasks.map(presentTask),
    externalRefs: r.external_refs, version: r.version, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

/** The audited shape: what a person would want to see change. */
const auditView = (c: Change) => ({
  number: c.number, type: c.type, state: c.state.name, title: c.title, description: c.description, justification: c.justification, impact: c.impact,
  securityImpact: c.securityImpact, implementationPlan: c.implementationPlan, backoutPlan: c.backoutPlan, testPlan: c.testPlan,
  plannedStart: c.plannedStart, plannedEnd: c.plannedEnd, actualStart: c.actualStart, actualEnd: c.actualEnd, closeCode: c.closeCode, closeNotes: c.closeNotes,
  onHold: c.onHold, emergencyReason: c.emergencyReason, services: c.services.map((s) => s.key), environments: c.environments.map((e) => e.key),
  release: c.release?.key ?? null, workItems: c.workItems.map((w) => `${w.source}:${w.externalKey}`), assignmentTeam: c.assignmentTeam?.key ?? null,
  assignee: c.assignee?.id ?? null, risk: { level: c.risk.level, score: c.risk.score, override: c.risk.override }, approvalRound: c.approvalRound,
  template: c.template ? `${c.template.key}@${c.template.version}` : null,
  policy: c.policy && { profiles: c.policy.profiles.map((p) => `${p.profile}@${p.version}`), approvals: c.policy.approvals, autoApprove: c.policy.autoApprove, block: c.policy.block },
});

/** The parts of a verdict the approvals depend on: when they change, approvals start again. */
const approvalTerms = (p: PolicyVerdict | null) => JSON.stringify(p === null ? null : { approvals: p.approvals, autoApprove: p.autoApprove });
/** Moves the policy's block stops; going back to New or canceling stays possible. */
const BLOCKED_MOVES: ChangeStateName[] = ['assess', 'authorize', 'scheduled', 'implement'];

function blockedBy(policy: PolicyVerdict | null): string | null {
  if (!policy?.block) return null;
  const rules = policy.profiles.map((p) => `${p.profile}@${p.version}${p.fired.length ? ` (rules ${p.fired.join(', ')})` : ''}`).join(', ');
  return `the governance policy ${rules} blocks it: ${policy.block}`;
}

const MATERIAL: (keyof ChangePatch)[] = ['plannedStart', 'plannedEnd', 'services', 'environments', 'implementationPlan', 'backoutPlan', 'testPlan'];
const CLOSING: (keyof ChangePatch)[] = ['actualStart', 'actualEnd', 'closeCode', 'closeNotes'];

export interface ChangesDeps {
  db: Db;
  repo: ChangesRepo;
  approvals: ApprovalGate;
  assessor: ChangeAssessor;
  governor: ChangeGovernor;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createChangesService(deps: ChangesDeps) {
  const { db, repo, approvals, assessor, governor, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, c: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'change', entityId: c.id, version: c.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  async function load(tx: Executor, id: string): Promise<Change> {
    return presentChange((await repo.find(tx, id))!);
  }

  async function snapshot(tx: Executor, id: string): Promise<ChangeSnapshot> {
    return snapshotOf((await repo.core(tx, id))!, await repo.scopeIds(tx, id));
  }

  async function lockOr404(tx: Tx, ref: string, ifMatch?: number | '*'): Promise<ChangeCore> {
    const locked = await repo.lock(tx, ref);
    if (!locked) throw new NotFound('Change', ref);
    assertVersion(ifMatch, locked.version, 'The change');
    return locked;
  }

  function assertOpen(c: ChangeCore, what: string) {
    const name = stateName(c.state);
    if (TERMINAL.includes(name)) {
      throw new Conflict('change_not_editable', `${c.number} is ${name}: it cannot ${what} any more.`, { currentState: stateRef(name) });
    }
  }

  /**
   * Conflicts first, then risk (which counts them), then the governance policy (which reads the
   * risk, the manual override winning); all stored on the change. Returns the policy's verdict.
   */
  async function assess(tx: Tx, id: string): Promise<PolicyVerdict | null> {
    const core = (await repo.core(tx, id))!;
    const a = await assessmentOf(tx, snapshotOf(core, await repo.scopeIds(tx, id)), core.risk_override?.level ?? null);
    await repo.storeAssessment(tx, id, { level: a.risk.level, score: a.risk.score, factors: a.risk.factors, conflicts: a.conflicts, policy: a.policy }, clock.now());
    return a.policy;
  }

  /** Conflicts, risk and the policy's verdict on it, the manual override level winning for the policy. */
  async function assessmentOf(tx: Tx, snap: ChangeSnapshot, overrideLevel: RiskLevel | null) {
    const { conflicts, risk } = await assessor.assess(tx, snap);
    const policy = await governor.evaluate(tx, snap.serviceIds, {
      ...risk.facts, changeType: snap.type, riskLevel: overrideLevel ?? risk.level, riskScore: risk.score, testsPassed: null,
    });
    return { conflicts, risk, policy };
  }

  /** Approvals already asked for start again in a new round (a Scheduled change goes back to Authorize). */
  async function restartApprovals(tx: Tx, actor: Actor, c: ChangeCore, reason: string) {
    const state = stateName(c.state);
    if (c.type === 'standard' || (state !== 'authorize' && state !== 'scheduled')) return;
    await repo.update(tx, c.id, { approval_round: c.approval_round + 1, ...(state === 'scheduled' ? { state: CHANGE_STATES.authorize } : {}) }, clock.now());
    if (state === 'scheduled') await recordTransition(tx, actor, c.id, c.state, CHANGE_STATES.authorize, `${reason}: approvals start again`);
    await approvals.openRound(tx, await snapshot(tx, c.id), actor);
  }

  async function recordTransition(tx: Tx, actor: Actor, changeId: string, from: ChangeStateValue | null, to: ChangeStateValue, comment: string) {
    await repo.insertTransition(tx, { id: newId(), change_id: changeId, from_state: from, to_state: to, actor_id: actor.id, actor_name: actor.name, comment, at: clock.now() });
  }

  async function resolveScope(tx: Tx, input: { services?: string[] | null; environments?: string[] | null }) {
    const errors: FieldError[] = [];
    let serviceIds: string[] | undefined;
    let environmentIds: string[] | undefined;
    if (input.services) {
      const { found, missing } = await repo.resolveServices(tx, [...new Set(input.services)]);
      for (const m of missing) errors.push({ path: 'services', message: `no service '${m}'` });
      serviceIds = [...new Set(found.values())];
    } else if (input.services === null) serviceIds = [];
    if (input.environments) {
      const { found, missing } = await repo.resolveEnvironments(tx, [...new Set(input.environments)]);
      for (const m of missing) errors.push({ path: 'environments', message: `no environment '${m}'` });
      environmentIds = [...new Set(found.values())];
    } else if (input.environments === null) environmentIds = [];
    return { serviceIds, environmentIds, errors };
  }

  async function resolveLinks(tx: Tx, input: { release?: string | null; assignmentTeam?: string | null; assignee?: string | null; workItems?: string[] | null }) {
    const errors: FieldError[] = [];
    const values: Partial<Pick<ChangeValues, 'release_id' | 'assignment_team_id' | 'assignee_id'>> = {};
    if (input.release !== undefined) {
      values.release_id = input.release === null ? null : ((await repo.resolveRelease(tx, input.release)) ?? null);
      if (input.release !== null && values.release_id === null) errors.push({ path: 'release', message: `no release '${input.release}'` });
    }
    if (input.assignmentTeam !== undefined) {
      values.assignment_team_id = input.assignmentTeam === null ? null : ((await repo.resolveTeam(tx, input.assignmentTeam)) ?? null);
      if (input.assignmentTeam !== null && values.assignment_team_id === null) errors.push({ path: 'assignmentTeam', message: `no team '${input.assignmentTeam}'` });
    }
    if (input.assignee !== undefined) {
      if (input.assignee !== null && !(await repo.userExists(tx, input.assignee))) errors.push({ path: 'assignee', message: `no user '${input.assignee}'` });
      values.assignee_id = input.assignee;
    }
    let workItemIds: string[] | undefined;
    if (input.workItems !== undefined) {
      workItemIds = [...new Set(input.workItems ?? [])];
      for (const m of await repo.missingWorkItems(tx, workItemIds)) errors.push({ path: 'workItems', message: `no work item '${m}'` });
    }
    return { values, workItemIds, errors };
  }

  /** A standard change stays inside its template: its services, environments and longest window. */
  async function templateScopeErrors(tx: Tx, def: TemplateDefinition, serviceIds: string[], environmentIds: string[], start: Date | null, end: Date | null): Promise<FieldError[]> {
    const errors: FieldError[] = [];
    if (def.services.length) {
      const outside = (await repo.keysOf(tx, 'services', serviceIds)).filter((k) => !def.services.includes(k));
      if (outside.length) errors.push({ path: 'services', message: `outside the template's scope (${def.services.join(', ')}): ${outside.join(', ')}` });
    }
    if (def.environments.length) {
      const outside = (await repo.keysOf(tx, 'environments', environmentIds)).filter((k) => !def.environments.includes(k));
      if (outside.length) errors.push({ path: 'environments', message: `not allowed by the template (${def.environments.join(', ')}): ${outside.join(', ')}` });
    }
    if (def.maxDurationMinutes !== undefined && start && end && end.getTime() - start.getTime() > def.maxDurationMinutes * 60_000) {
      errors.push({ path: 'plannedEnd', message: `the template allows at most ${def.maxDurationMinutes} minutes between plannedStart and plannedEnd` });
    }
    return errors;
  }

  function windowErrors(start: Date | null, end: Date | null, startPath = 'plannedStart', endPath = 'plannedEnd'): FieldError[] {
    void startPath;
    return start && end && end <= start ? [{ path: endPath, message: `must be after ${startPath}` }] : [];
  }

  function fail(errors: FieldError[], code = 'validation_failed') {
    if (errors.length) throw new Invalid(code, `The change is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
  }

  async function requirementView(tx: Executor, c: ChangeCore): Promise<RequirementView> {
    return {
      type: c.type, description: c.description, justification: c.justification, assignmentTeamId: c.assignment_team_id,
      riskLevel: c.risk_override?.level ?? c.risk_level, backoutPlan: c.backout_plan, securityImpact: c.security_impact,
      ...(await repo.requirementFacts(tx, c.id)), plannedStart: c.planned_start, plannedEnd: c.planned_end,
      actualStart: c.actual_start, actualEnd: c.actual_end, closeCode: c.close_code,
    };
  }

  /** Groups whose quorum is not met yet, as field errors (path 'approvals'). */
  async function pendingApprovals(tx: Executor, c: ChangeCore): Promise<FieldError[]> {
    const status = await approvals.status(tx, snapshotOf(c, await repo.scopeIds(tx, c.id)));
    if (status.met) return [];
    if (status.rejected) return [{ path: 'approvals', message: `round ${status.round} was rejected` }];
    const open = status.requirements.filter((r) => r.approvals < r.needed);
    if (open.length === 0) return [{ path: 'approvals', message: `round ${status.round} has no approval requirements met yet` }];
    return open.map((r) => ({ path: 'approvals', message: `group '${r.groupKey}' needs ${r.needed - r.approvals} more approval(s) (${r.approvals} of ${r.needed})` }));
  }

  /** Entering Authorize: a fresh round when an earlier round exists (after a rejection), then the approvers are asked. */
  async function enterAuthorize(tx: Tx, actor: Actor, c: ChangeCore, bumpRound: boolean) {
    if (bumpRound) await repo.update(tx, c.id, { approval_round: c.approval_round + 1 }, clock.now());
    await approvals.openRound(tx, await snapshot(tx, c.id), actor);
  }

  const workflow: ChangeWorkflow = {
    async load(tx, changeId, opts = {}) {
      const core = opts.forUpdate ? await repo.lock(tx, changeId) : await repo.core(tx, changeId);
      if (!core) return undefined;
      return snapshotOf(core, await repo.scopeIds(tx, core.id));
    },
    async returnToNew(tx, change, actor, reason) {
      const core = (await repo.core(tx, change.id))!;
      if (core.state === CHANGE_STATES.new) return;
      const before = await load(tx, core.id);
      await repo.update(tx as Tx, core.id, { state: CHANGE_STATES.new }, clock.now());
      await recordTransition(tx as Tx, actor, core.id, core.state, CHANGE_STATES.new, reason);
      const after = await load(tx, core.id);
      await audit.record(tx as Tx, actor, { action: 'change.state_changed', entityType: 'change', entityId: core.id, before: { state: before.state.name }, after: { state: 'new', reason } });
      await emit(tx as Tx, actor, 'change.state_changed', after);
    },
  };

  return {
    workflow,

    async list(actor: Actor, query: ChangeListQuery): Promise<Page<Change>> {
      assertCan(actor, 'change:read');
      const empty = { items: [], nextCursor: null };
      let serviceId: string | undefined;
      let environmentId: string | undefined;
      let releaseId: string | undefined;
      if (query.service) {
        serviceId = (await repo.resolveServices(db, [query.service])).found.get(query.service);
        if (!serviceId) return empty;
      }
      if (query.environment) {
        environmentId = (await repo.resolveEnvironments(db, [query.environment])).found.get(query.environment);
        if (!environmentId) return empty;
      }
      if (query.release) {
        releaseId = await repo.resolveRelease(db, query.release);
        if (!releaseId) return empty;
      }
      const cursor = cursorFor(query.cursor, query.sort.field);
      const rows = await repo.list(db, {
        limit: query.limit, sort: query.sort, cursor, q: query.q, state: query.state === undefined ? undefined : CHANGE_STATES[query.state],
        type: query.type, serviceId, environmentId, releaseId, assigneeId: query.assignee,
      });
      const sortValue = (r: ChangeRow) => (query.sort.field === 'number' ? r.number : r.updated_at.toISOString());
      return toPage(rows, query.limit, (r) => ({ k: sortValue(r), id: r.id, s: query.sort.field }), presentChange);
    },

    async get(actor: Actor, ref: string): Promise<Change> {
      assertCan(actor, 'change:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Change', ref);
      return presentChange(row);
    },

    async create(actor: Actor, input: ChangeCreate): Promise<Change> {
      assertCan(actor, 'change:create');
      return db.transaction().execute(async (tx) => {
        const errors: FieldError[] = [];
        if (input.type === 'emergency' && !input.emergencyReason) errors.push({ path: 'emergencyReason', message: 'required for an emergency change' });
        if (input.type !== 'emergency' && input.emergencyReason !== undefined) errors.push({ path: 'emergencyReason', message: 'only emergency changes have one' });
        if (input.templateId !== undefined && input.templateKey !== undefined) errors.push({ path: 'templateKey', message: 'give either templateId or templateKey' });
        const templateRef = input.templateId ?? input.templateKey;
        const templatePath = input.templateId !== undefined ? 'templateId' : 'templateKey';
        let template: { id: string; version: number; definition: TemplateDefinition } | null = null;
        if (input.type === 'standard') {
          if (templateRef === undefined) errors.push({ path: 'templateKey', message: 'a standard change is made from a standard change template' });
          else {
            const row = await repo.findTemplate(tx, templateRef);
            if (!row) errors.push({ path: templatePath, message: `no change template '${templateRef}'` });
            else if (!row.active) errors.push({ path: templatePath, message: `the template '${row.key}' is not active` });
            else template = { id: row.id, version: row.current_version, definition: row.definition };
          }
        } else if (templateRef !== undefined) {
          errors.push({ path: templatePath, message: 'only standard changes are made from templates' });
        }
        fail(errors);
        const defaults = template?.definition.defaults ?? {};
        const title = input.title ?? defaults.title;
        if (!title) fail([{ path: 'title', message: 'required' }]);
        const plannedStart = toDate(input.plannedStart);
        const plannedEnd = toDate(input.plannedEnd);
        const scope = await resolveScope(tx, { services: input.services ?? (template && template.definition.services.length ? template.definition.services : undefined), environments: input.environments });
        const links = await resolveLinks(tx, input);
        fail(windowErrors(plannedStart, plannedEnd), 'invalid_dates');
        fail([...scope.errors, ...links.errors], 'invalid_reference');
        const serviceIds = scope.serviceIds ?? [];
        const environmentIds = scope.environmentIds ?? [];
        if (template) fail(await templateScopeErrors(tx, template.definition, serviceIds, environmentIds, plannedStart, plannedEnd), 'outside_template_scope');

        const id = newId();
        const now = clock.now();
        const values: ChangeValues = {
          title: title!, description: input.description ?? defaults.description ?? '', justification: input.justification ?? '',
          impact: input.impact ?? defaults.impact ?? null,
          security_impact: input.securityImpact?.level ?? null, security_impact_notes: input.securityImpact?.notes ?? '',
          implementation_plan: input.implementationPlan ?? defaults.implementationPlan ?? '', backout_plan: input.backoutPlan ?? defaults.backoutPlan ?? '',
          test_plan: input.testPlan ?? defaults.testPlan ?? '', planned_start: plannedStart, planned_end: plannedEnd, actual_start: null, actual_end: null,
          close_code: null, close_notes: '', on_hold: false, on_hold_reason: '', emergency_reason: input.emergencyReason ?? null,
          assignment_team_id: links.values.assignment_team_id ?? null, assignee_id: links.values.assignee_id ?? null, release_id: links.values.release_id ?? null,
        };
        const workItemIds = links.workItemIds ?? [];
        // assessed before it is written, so the change is written once (its own row is not there to conflict with)
        const a = await assessmentOf(tx, {
          id, number: '', type: input.type, state: CHANGE_STATES.new, title: values.title, requestedBy: actor.id, assigneeId: values.assignee_id,
          assignmentTeamId: values.assignment_team_id, releaseId: values.release_id, approvalRound: 1, plannedStart, plannedEnd, serviceIds, environmentIds,
          workItemCount: workItemIds.length, riskLevel: null, policy: null,
        }, null);
        const number = await repo.insertNew(tx, {
          id, type: input.type, requested_by: actor.id, template_id: template?.id ?? null, template_version: template?.version ?? null, ...values,
          risk_level: a.risk.level, risk_score: a.risk.score, risk_factors: JSON.stringify(a.risk.factors), conflicts: JSON.stringify(a.conflicts), conflicts_checked_at: now,
          policy: a.policy === null ? null : JSON.stringify(a.policy),
        }, { serviceIds, environmentIds, workItemIds }, { transitionId: newId(), actorId: actor.id, actorName: actor.name }, now);
        if (input.type === 'emergency') {
          // emergency changes are approved fast and reviewed afterwards (SOX: retroactive approval)
          const dueAt = new Date((plannedEnd ?? now).getTime() + PIR_DUE_DAYS * DAY);
          await repo.insertTask(tx, { id: newId(), change_id: id, kind: 'post_implementation_review', title: `Post-implementation review of ${number}`, due_at: dueAt, assignee_id: values.assignee_id, created_at: now });
        }
        const created = await load(tx, id);
        await emit(tx, actor, 'change.created', created);
        await audit.record(tx, actor, { action: 'change.created', entityType: 'change', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: ChangePatch, ifMatch?: number | '*'): Promise<Change> {
      assertCan(actor, 'change:update');
      return db.transaction().execute(async (tx) => {
        const c = await lockOr404(tx, ref, ifMatch);
        assertOpen(c, 'be edited');
        const state = stateName(c.state);
        const given = (Object.keys(patch) as (keyof ChangePatch)[]).filter((k) => patch[k] !== undefined);
        const errors: FieldError[] = [];
        const started = state === 'implement' || state === 'review';
        for (const k of given) {
          if (started && MATERIAL.includes(k)) errors.push({ path: k, message: `cannot change once the change is in ${state}` });
          if (!started && CLOSING.includes(k)) errors.push({ path: k, message: 'can be set from Implement on' });
        }
        if (patch.emergencyReason !== undefined && c.type !== 'emergency') errors.push({ path: 'emergencyReason', message: 'only emergency changes have one' });
        fail(errors, 'field_not_editable');

        const before = await load(tx, c.id);
        const scope = await resolveScope(tx, patch);
        const links = await resolveLinks(tx, patch);
        const values: Partial<ChangeValues> = { ...links.values };
        const str = { title: 'title', description: 'description', justification: 'justification', implementationPlan: 'implementation_plan', backoutPlan: 'backout_plan', testPlan: 'test_plan', closeNotes: 'close_notes', onHoldReason: 'on_hold_reason', emergencyReason: 'emergency_reason' } as const;
        for (const [k, col] of Object.entries(str) as [keyof typeof str, (typeof str)[keyof typeof str]][]) {
          if (patch[k] !== undefined) (values as Record<string, unknown>)[col] = patch[k];
        }
        if (patch.impact !== undefined) values.impact = patch.impact;
        if (patch.securityImpact !== undefined) {
          values.security_impact = patch.securityImpact?.level ?? null;
          values.security_impact_notes = patch.securityImpact?.notes ?? '';
        }
        if (patch.onHold !== undefined) values.on_hold = patch.onHold;
        if (patch.closeCode !== undefined) values.close_code = patch.closeCode;
        for (const [k, col] of [['plannedStart', 'planned_start'], ['plannedEnd', 'planned_end'], ['actualStart', 'actual_start'], ['actualEnd', 'actual_end']] as const) {
          if (patch[k] !== undefined) values[col] = toDate(patch[k]);
        }
        const start = values.planned_start !== undefined ? values.planned_start : c.planned_start;
        const end = values.planned_end !== undefined ? values.planned_end : c.planned_end;
        const aStart = values.actual_start !== undefined ? values.actual_start : c.actual_start;
        const aEnd = values.actual_end !== undefined ? values.actual_end : c.actual_end;
        fail([...scope.errors, ...links.errors], 'invalid_reference');
        fail([...windowErrors(start, end), ...(aStart && aEnd && aEnd < aStart ? [{ path: 'actualEnd', message: 'must not be before actualStart' }] : [])], 'invalid_dates');

        const current = await repo.scopeIds(tx, c.id);
        const serviceIds = scope.serviceIds ?? current.serviceIds;
        const environmentIds = scope.environmentIds ?? current.environmentIds;
        if (c.type === 'standard' && c.template_id && c.template_version !== null) {
          const def = await repo.templateDefinition(tx, c.template_id, c.template_version);
          if (def) fail(await templateScopeErrors(tx, def, serviceIds, environmentIds, start, end), 'outside_template_scope');
        }
        const scopeChanged = !sameSet(serviceIds, current.serviceIds) || !sameSet(environmentIds, current.environmentIds);
        const windowChanged = !sameTime(start, c.planned_start) || !sameTime(end, c.planned_end);
        const plansChanged = (['implementation_plan', 'backout_plan', 'test_plan'] as const).some((k) => values[k] !== undefined && values[k] !== c[k]);
        const workItemsChanged = links.workItemIds !== undefined && !sameSet(links.workItemIds, before.workItems.map((w) => w.id));
        const fieldChanged = (Object.keys(values) as (keyof ChangeValues)[]).some((k) => {
          const v = values[k];
          const old = c[k];
          return v instanceof Date || old instanceof Date ? !sameTime((v as Date | null) ?? null, (old as Date | null) ?? null) : v !== old;
        });
        if (!fieldChanged && !scopeChanged && !workItemsChanged) return before;

        const now = clock.now();
        await repo.update(tx, c.id, values, now);
        if (scope.serviceIds) await repo.setServices(tx, c.id, serviceIds);
        if (scope.environmentIds) await repo.setEnvironments(tx, c.id, environmentIds);
        if (links.workItemIds) await repo.setWorkItems(tx, c.id, links.workItemIds);
        const policy = scopeChanged || windowChanged ? await assess(tx, c.id) : c.policy;

        // a material edit after approvals were asked for, or a policy now asking for other approvals: a new round
        if (scopeChanged || windowChanged || plansChanged) await restartApprovals(tx, actor, c, 'material edit after approval');
        else if (approvalTerms(policy) !== approvalTerms(c.policy)) await restartApprovals(tx, actor, c, 'the governance policy now asks for other approvals');
        const after = await load(tx, c.id);
        await audit.record(tx, actor, { action: 'change.updated', entityType: 'change', entityId: c.id, before: auditView(before), after: auditView(after) });
        await emit(tx, actor, 'change.updated', after);
        if (after.state.value !== before.state.value) await emit(tx, actor, 'change.state_changed', after);
        return after;
      });
    },

    async transition(actor: Actor, ref: string, input: TransitionInput, ifMatch?: number | '*'): Promise<Change> {
      assertCan(actor, 'change:transition');
      return db.transaction().execute(async (tx) => {
        const c = await lockOr404(tx, ref, ifMatch);
        const from = stateName(c.state);
        const allowed = nextStatesOf(c.type, from);
        if (!allowed.includes(input.to)) {
          const list = allowed.map((n) => `${n} (${CHANGE_STATES[n]})`).join(', ') || 'none';
          throw new Conflict('state_transition_not_allowed', `A ${c.type} change in ${from} cannot move to ${input.to}. Allowed next states: ${list}.`, {
            currentState: stateRef(from), allowedNextStates: allowed.map(stateRef),
          });
        }
        const blocked = BLOCKED_MOVES.includes(input.to) ? blockedBy(c.policy) : null;
        if (blocked) {
          throw new Conflict('policy_blocked', `${c.number} cannot move to ${input.to}: ${blocked}.`, { currentState: stateRef(from), policy: c.policy });
        }
        const bodyFields = input.actualStart !== undefined || input.actualEnd !== undefined || input.closeCode !== undefined || input.closeNotes !== undefined;
        if (bodyFields && input.to !== 'review' && input.to !== 'closed') {
          fail([{ path: input.actualStart !== undefined ? 'actualStart' : input.actualEnd !== undefined ? 'actualEnd' : input.closeCode !== undefined ? 'closeCode' : 'closeNotes', message: 'only for a move to Review or Closed' }]);
        }
        const values: Partial<ChangeValues> = {};
        if (input.actualStart !== undefined) values.actual_start = new Date(input.actualStart);
        if (input.actualEnd !== undefined) values.actual_end = new Date(input.actualEnd);
        if (input.closeCode !== undefined) values.close_code = input.closeCode;
        if (input.closeNotes !== undefined) values.close_notes = input.closeNotes;
        const view = await requirementView(tx, { ...c, ...values });
        const missing = missingFor(input.to, view);
        if (view.actualStart && view.actualEnd && view.actualEnd < view.actualStart) missing.push({ path: 'actualEnd', message: 'must not be before actualStart' });
        if (missing.length) {
          throw new Invalid('transition_requirements_not_met', `Moving ${c.number} to ${input.to} needs: ${missing.map((m) => `${m.path} (${m.message})`).join('; ')}.`, missing);
        }
        if (from === 'authorize' && input.to === 'scheduled') {
          const pending = await pendingApprovals(tx, c);
          if (pending.length) {
            throw new Conflict('approvals_pending', `${c.number} cannot be scheduled before its approvals are complete: ${pending.map((p) => p.message).join('; ')}.`, {
              currentState: stateRef(from), errors: pending,
            });
          }
        }
        const to = CHANGE_STATES[input.to];
        const now = clock.now();
        await repo.moveState(tx, c.id, { ...values, state: to }, { id: newId(), from_state: c.state, actor_id: actor.id, actor_name: actor.name, comment: input.comment ?? '' }, now);
        if (input.to === 'closed') await repo.recordOutcome(tx, c.id, view.actualEnd ?? now, view.closeCode === 'unsuccessful');
        if (input.to === 'authorize') {
          const history = await repo.history(tx, c.id);
          const earlier = history.filter((h) => h.to_state === CHANGE_STATES.authorize).length > 1;
          await enterAuthorize(tx, actor, c, earlier);
        }
        const after = await load(tx, c.id);
        await audit.record(tx, actor, {
          action: 'change.state_changed', entityType: 'change', entityId: c.id,
          before: { state: from, ...(bodyFields ? { actualStart: isoD(c.actual_start), actualEnd: isoD(c.actual_end), closeCode: c.close_code } : {}) },
          after: { state: after.state.name, comment: input.comment ?? '', ...(bodyFields ? { actualStart: after.actualStart, actualEnd: after.actualEnd, closeCode: after.closeCode } : {}) },
        });
        await emit(tx, actor, 'change.state_changed', after);
        return after;
      });
    },

    async nextStates(actor: Actor, ref: string): Promise<NextStates> {
      assertCan(actor, 'change:read');
      const c = await repo.find(db, ref);
      if (!c) throw new NotFound('Change', ref);
      const from = stateName(c.state);
      const view = await requirementView(db, c);
      const next = [];
      for (const n of nextStatesOf(c.type, from)) {
        const missing = missingFor(n, view);
        const blocked = BLOCKED_MOVES.includes(n) ? blockedBy(c.policy) : null;
        if (blocked) missing.push({ path: 'policy', message: blocked });
        if (from === 'authorize' && n === 'scheduled') missing.push(...(await pendingApprovals(db, c)));
        next.push({ ...stateRef(n), ready: missing.length === 0, missing });
      }
      return { state: stateRef(from), next };
    },

    async history(actor: Actor, ref: string): Promise<{ items: HistoryEntry[]; nextCursor: null }> {
      assertCan(actor, 'change:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Change', ref);
      const items = (await repo.history(db, row.id)).map((h) => ({
        id: h.id, from: h.from_state === null ? null : stateRef(stateName(h.from_state)), to: stateRef(stateName(h.to_state)),
        actor: { id: h.actor_id, name: h.actor_name }, comment: h.comment, at: h.at.toISOString(),
      }));
      return { items, nextCursor: null };
    },

    async overrideRisk(actor: Actor, ref: string, input: RiskOverrideInput, ifMatch?: number | '*'): Promise<Change> {
      assertCan(actor, 'change:update');
      return db.transaction().execute(async (tx) => {
        const c = await lockOr404(tx, ref, ifMatch);
        assertOpen(c, 'have its risk changed');
        const before = await load(tx, c.id);
        const override = { level: input.level, reason: input.reason, by: actor.id, byName: actor.name, at: clock.now().toISOString() };
        await repo.update(tx, c.id, { risk_override: JSON.stringify(override) }, clock.now());
        // the policy reads the effective risk: decide again, and ask again if it now wants other approvals
        const policy = await assess(tx, c.id);
        if (approvalTerms(policy) !== approvalTerms(c.policy)) await restartApprovals(tx, actor, c, 'risk override changed what the governance policy asks for');
        const after = await load(tx, c.id);
        await audit.record(tx, actor, {
          action: 'change.risk_overridden', entityType: 'change', entityId: c.id,
          before: { risk: before.risk, policy: before.policy && { approvals: before.policy.approvals, autoApprove: before.policy.autoApprove, block: before.policy.block } },
          after: { risk: after.risk, policy: after.policy && { approvals: after.policy.approvals, autoApprove: after.policy.autoApprove, block: after.policy.block } },
        });
        await emit(tx, actor, 'change.updated', after);
        if (after.state.value !== before.state.value) await emit(tx, actor, 'change.state_changed', after);
        return after;
      });
    },

    async checkConflicts(actor: Actor, ref: string): Promise<Change> {
      assertCan(actor, 'change:update');
      return db.transaction().execute(async (tx) => {
        const c = await lockOr404(tx, ref);
        assertOpen(c, 'be re-assessed');
        const before = await load(tx, c.id);
        const policy = await assess(tx, c.id);
        await repo.update(tx, c.id, {}, clock.now());
        if (approvalTerms(policy) !== approvalTerms(c.policy)) await restartApprovals(tx, actor, c, 'the governance policy now asks for other approvals');
        const after = await load(tx, c.id);
        await audit.record(tx, actor, {
          action: 'change.assessed', entityType: 'change', entityId: c.id,
          before: { risk: before.risk.level, score: before.risk.score, conflicts: before.conflicts.length }, after: { risk: after.risk.level, score: after.risk.score, conflicts: after.conflicts.length },
        });
        await emit(tx, actor, 'change.updated', after);
        if (after.state.value !== before.state.value) await emit(tx, actor, 'change.state_changed', after);
        return after;
      });
    },

    async completeTask(actor: Actor, ref: string, taskId: string): Promise<Change> {
      assertCan(actor, 'change:update');
      return db.transaction().execute(async (tx) => {
        const c = await lockOr404(tx, ref);
        const task = await repo.task(tx, c.id, taskId);
        if (!task) throw new NotFound('Task', `${c.number}/${taskId}`);
        if (task.status !== 'open') throw new Conflict('task_not_open', `The task is already ${task.status}.`, { taskStatus: task.status });
        const now = clock.now();
        await repo.completeTask(tx, task.id, now);
        await repo.update(tx, c.id, {}, now);
        const after = await load(tx, c.id);
        await audit.record(tx, actor, { action: 'change.task_completed', entityType: 'change', entityId: c.id, before: { task: { id: task.id, kind: task.kind, status: task.status } }, after: { task: { id: task.id, kind: task.kind, status: 'done' } } });
        await emit(tx, actor, 'change.updated', after);
        return after;
      });
    },
  };
}

export type ChangesService = ReturnType<typeof createChangesService>;
