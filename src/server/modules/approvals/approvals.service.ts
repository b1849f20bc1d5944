import type { Db, Executor, Tx } from '../../db/tx.js';
import type { ChangeStateValue } from '../../db/schema.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Forbidden, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { CHANGE_STATES, type ApprovalGate, type ChangeSnapshot, type ChangeStateName, type ChangeWorkflow, type RoundStatus } from '../changes/change-contracts.js';
import { assertCan, can, systemActor, type Actor } from '../identity/permissions.js';
import { autoApprovalNote, DEFAULT_SEGREGATION, exclusions, rulesFor, type ExclusionReason, type SegregationSettings } from './approvals.policy.js';
import type { ApprovalsRepo, DecisionRow, DelegationRow, GroupRow, InboxKey, InboxRow, RequirementRow } from './approvals.repo.js';
import {
  DEFAULT_DUE_HOURS, MAX_DELEGATION_DAYS,
  type ApprovalRulesPut, type ApproverGroup, type ApproverGroupDetail, type ChangeApprovals, type Decision, type DecisionCreate, type DecisionResult,
  type Delegation, type DelegationCreate, type DelegationListQuery, type GroupCreate, type GroupListQuery, type GroupPatch, type InboxItem, type InboxQuery, type MembersPut, type Requirement,
} from './approvals.schemas.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const AUTHORIZE = CHANGE_STATES.authorize;
/** Rules may be set while the change has not been authorized yet. */
const RULE_STATES: ChangeStateValue[] = [CHANGE_STATES.new, CHANGE_STATES.assess, CHANGE_STATES.authorize];
const stateName = (v: number) => (Object.entries(CHANGE_STATES).find(([, value]) => value === v)?.[0] ?? String(v)) as ChangeStateName;

const presentGroup = (r: GroupRow): ApproverGroup => ({
  id: r.id, key: r.key, name: r.name, description: r.description, memberCount: r.member_count, version: r.version,
  createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
});

function presentDelegation(r: DelegationRow, now: Date): Delegation {
  return {
    id: r.id, user: { id: r.user_id, name: r.user_name }, delegate: { id: r.delegate_id, name: r.delegate_name },
    startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), reason: r.reason,
    createdBy: r.created_by && r.created_by_name !== null ? { id: r.created_by, name: r.created_by_name } : null,
    createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null,
    active: r.revoked_at === null && r.starts_at <= now && r.ends_at > now,
  };
}

export const presentDecision = (d: DecisionRow): Decision => ({
  id: d.id, round: d.round, group: { id: d.group_id, key: d.group_key, name: d.group_name },
  approver: { id: d.approver_id, name: d.approver_name },
  onBehalfOf: d.on_behalf_of ? { id: d.on_behalf_of, name: d.on_behalf_of_name ?? '' } : null,
  decision: d.decision, comment: d.comment, decidedAt: d.decided_at.toISOString(),
});

const INBOX_SORT = 'inbox';
const invalidCursor = () => new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [{ path: 'cursor', message: 'not a cursor issued by this API' }], 400);

/** The inbox's sort key travels in the cursor as `[due ISO | null, risk rank, number]`. */
function inboxKeyOf(raw: string | undefined): InboxKey | undefined {
  const c = cursorFor(raw, INBOX_SORT);
  if (!c) return undefined;
  let parsed: unknown;
  try {
    parsed = typeof c.k === 'string' ? JSON.parse(c.k) : undefined;
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidCursor();
  const [due, riskRank, number] = parsed as unknown[];
  const at = typeof due === 'string' ? new Date(due) : null;
  if ((due !== null && (!at || Number.isNaN(at.getTime()))) || !Number.isInteger(riskRank) || typeof number !== 'string') throw invalidCursor();
  return { due: at, riskRank: riskRank as number, number };
}

const inboxCursor = (r: InboxRow) => ({ k: JSON.stringify([r.due_at?.toISOString() ?? null, r.risk_rank, r.number]), id: r.id, s: INBOX_SORT });

function presentInboxItem(r: InboxRow, now: Date): InboxItem {
  return {
    change: {
      id: r.id, number: r.number, title: r.title, type: r.type, riskLevel: r.risk_level,
      plannedStart: r.planned_start?.toISOString() ?? null, plannedEnd: r.planned_end?.toISOString() ?? null,
      requestedBy: r.requested_by && r.requested_by_name !== null ? { id: r.requested_by, name: r.requested_by_name } : null,
    },
    round: r.approval_round,
    requirements: r.requirements.map((q) => {
      // timestamps inside jsonb come back as text with an offset
      const due = q.due_at === null ? null : new Date(q.due_at);
      return {
        group: { id: q.group_id, key: q.group_key, name: q.group_name }, needed: q.needed, approvals: q.approvals,
        dueAt: due?.toISOString() ?? null, overdue: due !== null && due < now,
        onBehalfOf: q.on_behalf_of ? { id: q.on_behalf_of, name: q.on_behalf_of_name ?? '' } : null,
      };
    }),
    dueAt: r.due_at?.toISOString() ?? null,
  };
}

/** The part of a change the round computation needs. */
export type RoundSubject = Pick<ChangeSnapshot, 'id' | 'approvalRound' | 'requestedBy' | 'assigneeId' | 'policy'>;

interface RequirementState {
  row: RequirementRow;
  memberIds: Set<string>;
  needed: number;
  approvals: number;
  rejections: number;
  met: boolean;
  view: Requirement;
}

export interface Round {
  round: number;
  requirements: RequirementState[];
  decisions: DecisionRow[];
  /** people who decided in this round, themselves or through a delegate */
  decided: Set<string>;
  excluded: Map<string, ExclusionReason[]>;
  rejected: boolean;
  met: boolean;
  /** the governance policy auto-approved the round (no rules were set for it by hand) */
  autoApproved: string | null;
  blockers: string[];
}

export interface ApprovalsDeps {
  db: Db;
  repo: ApprovalsRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
  /** the changes module, looked up when needed: it is composed after this one */
  workflow: () => ChangeWorkflow;
  segregation?: SegregationSettings;
  /** the authors of a change's commits, once commits are linked to changes */
  commitAuthors?: (tx: Executor, changeId: string) => Promise<string[]>;
}

export function createApprovalsService(deps: ApprovalsDeps) {
  const { db, repo, audit, outbox, clock, workflow } = deps;
  const segregation = deps.segregation ?? DEFAULT_SEGREGATION;

  const emit = (tx: Tx, actor: Actor, type: string, entityType: string, entityId: string, version: number | null = null) =>
    publishEvent(outbox, tx, { type, entityType, entityId, version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });

  async function mustFindGroup(ref: string, executor: Executor = db) {
    const row = await repo.findGroup(executor, ref);
    if (!row) throw new NotFound('Approver group', ref);
    return row;
  }

  /** User refs (id or e-mail) to users; unknown ones are a 422 naming their position. */
  async function resolveUsers(executor: Executor, refs: string[], path: string) {
    const found = await repo.resolveUsers(executor, refs);
    const errors: FieldError[] = [];
    const users = refs.map((ref, i) => {
      const u = found.find((f) => f.id === ref || f.email.toLowerCase() === ref.toLowerCase());
      if (!u) errors.push({ path: `${path}.${i}`, message: `no user with the id or e-mail ${JSON.stringify(ref)}` });
      return u;
    });
    if (errors.length) throw new Invalid('unknown_reference', `Unknown users: ${errors.map((e) => e.message).join('; ')}.`, errors);
    return users as { id: string; email: string; name: string }[];
  }

  async function changeFor(executor: Executor, ref: string, forUpdate = false): Promise<ChangeSnapshot> {
    const id = await repo.changeIdByRef(executor, ref);
    const change = id ? await workflow().load(executor, id, { forUpdate }) : undefined;
    if (!change) throw new NotFound('Change', ref);
    return change;
  }

  /** Everything about a change's current round: requirements with quorum, decisions, who may still approve. */
  async function computeRound(executor: Executor, change: RoundSubject): Promise<Round> {
    const round = change.approvalRound;
    const rows = await repo.requirements(executor, change.id, round);
    const decisions = await repo.decisions(executor, change.id, round);
    const members = await repo.membersOfGroups(executor, [...new Set(rows.map((r) => r.group_id))]);
    const excluded = exclusions(change, segregation, segregation.excludeCommitAuthors && deps.commitAuthors ? await deps.commitAuthors(executor, change.id) : []);
    const decided = new Set(decisions.flatMap((d) => [d.approver_id, ...(d.on_behalf_of ? [d.on_behalf_of] : [])]));
    const delegates = await repo.delegatesFor(executor, [...new Set(members.map((m) => m.user_id))], clock.now());
    const now = clock.now();
    const requirements = rows.map((row): RequirementState => {
      const groupMembers = members.filter((m) => m.group_id === row.group_id);
      const eligible = groupMembers.filter((m) => !excluded.has(m.user_id));
      const needed = row.quorum ?? Math.max(1, eligible.length);
      const mine = decisions.filter((d) => d.requirement_id === row.id);
      const approvals = mine.filter((d) => d.decision === 'approved').length;
      const rejections = mine.filter((d) => d.decision === 'rejected').length;
      const met = approvals >= needed && rejections === 0;
      const view: Requirement = {
        id: row.id, group: { id: row.group_id, key: row.group_key, name: row.group_name }, quorum: row.quorum, needed, approvals, rejections, met,
        dueAt: row.due_at?.toISOString() ?? null, escalatedAt: row.escalated_at?.toISOString() ?? null,
        overdue: !met && row.due_at !== null && row.due_at < now, source: row.source,
        mayApprove: met ? [] : eligible.filter((m) => !decided.has(m.user_id)).map((m) => ({
          id: m.user_id, name: m.name,
          delegates: delegates.filter((d) => d.user_id === m.user_id && !excluded.has(d.delegate_id)).map((d) => ({ id: d.delegate_id, name: d.name })),
        })),
        excluded: groupMembers.filter((m) => excluded.has(m.user_id)).map((m) => ({ id: m.user_id, name: m.name, reasons: excluded.get(m.user_id)! })),
      };
      return { row, memberIds: new Set(groupMembers.map((m) => m.user_id)), needed, approvals, rejections, met, view };
    });
    const rejected = decisions.some((d) => d.decision === 'rejected');
    const autoApproved = !requirements.length && change.policy?.autoApprove ? autoApprovalNote(change.policy) : null;
    if (autoApproved) return { round, requirements, decisions, decided, excluded, rejected: false, met: true, autoApproved, blockers: [] };
    const blockers: string[] = [];
    if (!requirements.length) blockers.push(`No approval rule for round ${round}: set the change's approval rules (PUT /api/v1/changes/{id}/approval-rules) before it can be authorized.`);
    if (rejected) {
      const r = decisions.find((d) => d.decision === 'rejected')!;
      blockers.push(`Rejected in round ${round} by ${r.approver_name}: ${r.comment}`);
    }
    for (const q of requirements) {
      if (q.met) continue;
      const eligible = q.view.mayApprove.length + q.approvals;
      blockers.push(`${q.row.group_key}: ${q.approvals} of ${q.needed} approvals${eligible < q.needed ? ` (only ${eligible} eligible member(s) left: the quorum cannot be reached without new members)` : ''}`);
    }
    return { round, requirements, decisions, decided, excluded, rejected, met: requirements.length > 0 && !rejected && requirements.every((q) => q.met), autoApproved: null, blockers };
  }

  async function approvalsView(executor: Executor, change: ChangeSnapshot): Promise<ChangeApprovals> {
    const r = await computeRound(executor, change);
    return {
      change: { id: change.id, number: change.number, state: change.state },
      round: r.round,
      open: change.state === AUTHORIZE && !r.rejected && r.requirements.length > 0,
      // an auto-approval takes effect when the change enters Authorize; before, it is only announced
      met: r.met && (r.autoApproved === null || change.state >= AUTHORIZE), rejected: r.rejected, autoApproved: r.autoApproved, blockers: r.blockers,
      requirements: r.requirements.map((q) => q.view),
      decisions: (await repo.decisions(executor, change.id)).map(presentDecision),
    };
  }

  async function recordRefusal(actor: Actor, change: ChangeSnapshot, details: Record<string, unknown>) {
    await db.transaction().execute(async (tx) => {
      await audit.record(tx, actor, { action: 'change.approval_refused', entityType: 'change', entityId: change.id, after: { number: change.number, round: change.approvalRound, ...details } });
    });
  }

  function sodMessage(reasons: ExclusionReason[], onBehalfOf: string | null): string {
    const roles = reasons.map((r) => (r === 'commit_author' ? 'an author of its commits' : `the ${r}`)).join(' and ');
    return onBehalfOf
      ? `Segregation of duties: the person you would act for is ${roles} of this change, so neither they nor their delegate may approve or reject it.`
      : `Segregation of duties: you are ${roles} of this change, so you may not approve or reject it (this holds for administrators too). The attempt was recorded.`;
  }

  /**
   * Records one decision. Checks, in order: the change is in Authorize and its round open; the actor
   * is not excluded by segregation of duties (refusals are audited in their own transaction, so the
   * record survives the 403); no decision of theirs in this round yet; they, or a member who
   * delegated to them now, belong to a required group whose quorum is not reached.
   */
  async function decide(actor: Actor, changeRef: string, input: DecisionCreate & { groupId?: string }): Promise<DecisionResult> {
    assertCan(actor, 'change:approve');
    const comment = input.comment?.trim() ?? '';
    if (input.decision === 'rejected' && !comment) throw new Invalid('validation_failed', 'A rejection needs a comment saying why.', [{ path: 'comment', message: 'required: say why the change is rejected' }]);
    if (!actor.id) throw new Forbidden('Approvals are decided by people: sign in as a member of an approver group.', 'not_an_approver');
    const actorId = actor.id;
    const refused: { change?: ChangeSnapshot; details?: Record<string, unknown> } = {};
    try {
      return await db.transaction().execute(async (tx) => {
        const change = await changeFor(tx, changeRef, true);
        const round = await computeRound(tx, change);
        if (change.state !== AUTHORIZE) {
          const after = round.rejected ? ` It was rejected in round ${round.round}; a new round opens when it is submitted for authorization again.` : '';
          throw new Conflict('approval_not_open', `The change ${change.number} is in ${stateName(change.state)}: decisions are recorded only while it is in authorize.${after}`, { currentState: stateName(change.state) });
        }
        if (round.rejected) throw new Conflict('approval_not_open', `Round ${round.round} of ${change.number} was rejected: no more decisions until it is submitted again.`, { currentState: 'authorize' });
        const own = round.excluded.get(actorId);
        if (own) {
          Object.assign(refused, { change, details: { decision: input.decision, reasons: own, onBehalfOf: null } });
          throw new Forbidden(sodMessage(own, null), 'segregation_of_duties', { reasons: own });
        }
        if (round.decisions.some((d) => d.approver_id === actorId)) {
          throw new Conflict('already_decided', `You already decided on ${change.number} in round ${round.round}; a decision cannot be changed in the same round.`);
        }
        if (!round.requirements.length) {
          throw new Conflict('no_approval_rule', `The change ${change.number} has no approval rule in round ${round.round}: a change manager must set its approval rules first.`);
        }
        let candidates = round.requirements;
        if (input.groupId !== undefined || input.group !== undefined) {
          const g = input.groupId ?? input.group!;
          candidates = candidates.filter((q) => q.row.group_id === g || q.row.group_key === g);
          if (!candidates.length) {
            throw new Invalid('unknown_reference', `The group '${g}' is not required in round ${round.round} of ${change.number}; required: ${round.requirements.map((q) => q.row.group_key).join(', ')}.`, [{ path: 'group', message: 'not a required group of this round' }]);
          }
        }
        const identities = [{ id: actorId, onBehalfOf: null as string | null }, ...(await repo.delegatorsOf(tx, actorId, clock.now())).map((d) => ({ id: d.user_id, onBehalfOf: d.user_id as string | null }))];
        const pairs = candidates.flatMap((q) => identities.filter((i) => q.memberIds.has(i.id)).map((i) => ({ q, i })));
        if (!pairs.length) {
          throw new Forbidden(`You are not a member of ${candidates.map((q) => `'${q.row.group_key}'`).join(' or ')}, and no member has delegated their approvals to you now.`, 'not_an_approver', { groups: candidates.map((q) => q.row.group_key) });
        }
        const allowed = pairs.filter((p) => !(p.i.onBehalfOf && round.excluded.has(p.i.id)));
        if (!allowed.length) {
          const blocked = pairs[0]!.i.id;
          const reasons = round.excluded.get(blocked)!;
          Object.assign(refused, { change, details: { decision: input.decision, reasons, onBehalfOf: blocked } });
          throw new Forbidden(sodMessage(reasons, blocked), 'segregation_of_duties', { reasons, onBehalfOf: blocked });
        }
        const undecided = allowed.filter((p) => !round.decided.has(p.i.id));
        if (!undecided.length) throw new Conflict('already_decided', `A decision for you, or for the member you act for, was already recorded on ${change.number} in round ${round.round}.`);
        const open = undecided.filter((p) => !p.q.met);
        if (!open.length) {
          throw new Conflict('quorum_reached', `The quorum of ${undecided.map((p) => `'${p.q.row.group_key}'`).join(', ')} is already reached for ${change.number}: no more decisions are needed from that group.`);
        }
        const pick = open.find((p) => p.i.onBehalfOf === null) ?? open[0]!;
        const now = clock.now();
        const id = newId();
        await repo.insertDecision(tx, {
          id, change_id: change.id, round: round.round, requirement_id: pick.q.row.id, approver_id: actorId, on_behalf_of: pick.i.onBehalfOf,
          decision: input.decision, comment, decided_at: now,
        });
        await audit.record(tx, actor, {
          action: 'approval.decided', entityType: 'change', entityId: change.id,
          after: { number: change.number, round: round.round, group: pick.q.row.group_key, decision: input.decision, comment, onBehalfOf: pick.i.onBehalfOf },
        });
        await emit(tx, actor, 'approval.decided', 'change', change.id);
        if (input.decision === 'rejected') {
          await workflow().returnToNew(tx, change, actor, `Rejected by ${actor.name} for ${pick.q.row.group_key}: ${comment}`);
        }
        const decision = (await repo.decisions(tx, change.id, round.round)).find((d) => d.id === id)!;
        const reloaded = (await workflow().load(tx, change.id))!;
        return { decision: presentDecision(decision), approvals: await approvalsView(tx, reloaded) };
      });
    } catch (err) {
      if (refused.change) await recordRefusal(actor, refused.change, refused.details!);
      throw err;
    }
  }

  const gate: ApprovalGate = {
    /** Creates the round's requirements from the defaults, unless rules were set for it already. */
    async openRound(executor, change, actor) {
      // the changes module calls this inside its transaction; the audit and the outbox need one
      const tx = executor as Tx;
      const round = change.approvalRound;
      const existing = await repo.requirements(tx, change.id, round);
      if ((await repo.decisions(tx, change.id, round)).some((d) => d.decision === 'rejected')) {
        throw new Conflict('round_closed', `Round ${round} of ${change.number} was rejected: a new approval round must start before the change is authorized again.`);
      }
      let created: { group: string; quorum: number | null }[] = [];
      let missing: string[] = [];
      const policy = change.policy;
      if (!existing.length && policy?.autoApprove) {
        await audit.record(tx, actor, {
          action: 'approval.auto_approved', entityType: 'change', entityId: change.id,
          after: { number: change.number, round, by: autoApprovalNote(policy), facts: policy.facts },
        });
        await emit(tx, actor, 'approval.round_opened', 'change', change.id);
        return;
      }
      if (!existing.length) {
        const rules = rulesFor(change);
        const groups = await repo.findGroupsByKeys(tx, rules.map((r) => r.groupKey));
        const now = clock.now();
        const rows = rules.flatMap((r) => {
          const g = groups.find((x) => x.key === r.groupKey);
          return g ? [{ id: newId(), change_id: change.id, round, group_id: g.id, quorum: r.quorum, due_at: new Date(now.getTime() + DEFAULT_DUE_HOURS * HOUR), source: r.source }] : [];
        });
        await repo.insertRequirements(tx, rows, now);
        created = rows.map((r) => ({ group: groups.find((g) => g.id === r.group_id)!.key, quorum: r.quorum }));
        missing = rules.filter((r) => !groups.some((g) => g.key === r.groupKey)).map((r) => r.groupKey);
      }
      await audit.record(tx, actor, {
        action: 'approval.round_opened', entityType: 'change', entityId: change.id,
        after: { number: change.number, round, requirements: existing.length ? existing.map((r) => ({ group: r.group_key, quorum: r.quorum })) : created, missingDefaultGroups: missing },
      });
      await emit(tx, actor, 'approval.round_opened', 'change', change.id);
    },

    async status(tx, change): Promise<RoundStatus> {
      const r = await computeRound(tx, change);
      const requirements = r.requirements.map((q) => ({ groupId: q.row.group_id, groupKey: q.row.group_key, quorum: q.row.quorum, needed: q.needed, approvals: q.approvals }));
      // a round without rules is never met: say so as a requirement nobody can satisfy
      if (!requirements.length) requirements.push({ groupId: '', groupKey: 'no-approval-rule', quorum: null, needed: 1, approvals: 0 });
      return { round: r.round, met: r.met, rejected: r.rejected, requirements };
    },
  };

  return {
    gate,
    decide,
    computeRound,

    /**
     * What the actor may decide now: changes in Authorize with an unmet requirement of the current
     * round they may act on, themselves or for a member who delegated to them (see repo.inbox).
     * Commit authors are not filtered out here: no deployment links commits to changes yet, and the
     * decision itself still refuses them.
     */
    async inbox(actor: Actor, query: InboxQuery): Promise<Page<InboxItem>> {
      assertCan(actor, 'change:approve');
      if (!actor.id) throw new Forbidden('Approvals are decided by people: sign in as a member of an approver group.', 'not_an_approver');
      const now = clock.now();
      const rows = await repo.inbox(db, actor.id, now, { limit: query.limit, after: inboxKeyOf(query.cursor) });
      return toPage(rows, query.limit, inboxCursor, (r) => presentInboxItem(r, now));
    },

    // approver groups

    async listGroups(actor: Actor, query: GroupListQuery): Promise<Page<ApproverGroup>> {
      assertCan(actor, 'approver_group:read');
      const c = cursorFor(query.cursor, 'key');
      const rows = await repo.listGroups(db, { limit: query.limit, q: query.q, afterKey: c ? { k: String(c.k), id: c.id } : undefined });
      return toPage(rows, query.limit, (r) => ({ k: r.key, id: r.id, s: 'key' }), presentGroup);
    },

    async getGroup(actor: Actor, ref: string): Promise<ApproverGroupDetail> {
      assertCan(actor, 'approver_group:read');
      const row = await mustFindGroup(ref);
      return { ...presentGroup(row), members: await repo.members(db, row.id) };
    },

    async createGroup(actor: Actor, input: GroupCreate): Promise<ApproverGroupDetail> {
      assertCan(actor, 'approver_group:write');
      return db.transaction().execute(async (tx) => {
        if (await repo.groupKeyExists(tx, input.key)) {
          throw new Conflict('duplicate_key', `An approver group with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
        }
        const users = await resolveUsers(tx, input.members ?? [], 'members');
        const id = newId();
        const now = clock.now();
        await repo.insertGroup(tx, { id, key: input.key, name: input.name, description: input.description ?? '' }, now);
        await repo.setMembers(tx, id, [...new Set(users.map((u) => u.id))]);
        const row = (await repo.findGroup(tx, id))!;
        const members = await repo.members(tx, id);
        await audit.record(tx, actor, { action: 'approver_group.created', entityType: 'approver_group', entityId: id, after: { key: row.key, name: row.name, description: row.description, members: members.map((m) => m.email) } });
        await emit(tx, actor, 'approver_group.created', 'approver_group', id, row.version);
        return { ...presentGroup(row), members };
      });
    },

    async updateGroup(actor: Actor, ref: string, patch: GroupPatch, ifMatch?: number | '*'): Promise<ApproverGroup> {
      assertCan(actor, 'approver_group:write');
      return db.transaction().execute(async (tx) => {
        const before = await mustFindGroup(ref, tx);
        const locked = (await repo.lockGroup(tx, before.id))!;
        assertVersion(ifMatch, locked.version, 'The approver group');
        const values: { name?: string; description?: string } = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.description !== undefined) values.description = patch.description ?? '';
        if (Object.keys(values).length === 0) return presentGroup(before);
        await repo.updateGroup(tx, before.id, values, clock.now());
        const after = (await repo.findGroup(tx, before.id))!;
        await audit.record(tx, actor, { action: 'approver_group.updated', entityType: 'approver_group', entityId: before.id, before: { name: before.name, description: before.description }, after: { name: after.name, description: after.description } });
        await emit(tx, actor, 'approver_group.updated', 'approver_group', before.id, after.version);
        return presentGroup(after);
      });
    },

    async deleteGroup(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'approver_group:write');
      await db.transaction().execute(async (tx) => {
        const group = await mustFindGroup(ref, tx);
        const locked = (await repo.lockGroup(tx, group.id))!;
        assertVersion(ifMatch, locked.version, 'The approver group');
        const refs = await repo.groupReferences(tx, group.id);
        const uses = [refs.requirements ? `${refs.requirements} approval requirement(s) of changes` : '', refs.boards.length ? `CAB boards: ${refs.boards.join(', ')}` : ''].filter(Boolean);
        if (uses.length) {
          throw new Conflict('still_referenced', `The approver group '${group.key}' is still used by ${uses.join(' and ')}. Approval records must keep their group; give boards another group, or keep this one.`);
        }
        await repo.deleteGroup(tx, group.id);
        await audit.record(tx, actor, { action: 'approver_group.deleted', entityType: 'approver_group', entityId: group.id, before: { key: group.key, name: group.name } });
        await emit(tx, actor, 'approver_group.deleted', 'approver_group', group.id);
      });
    },

    /** Replaces the membership (audited with who joined and who left). */
    async setMembers(actor: Actor, ref: string, input: MembersPut): Promise<ApproverGroupDetail> {
      assertCan(actor, 'approver_group:write');
      return db.transaction().execute(async (tx) => {
        const group = await mustFindGroup(ref, tx);
        await repo.lockGroup(tx, group.id);
        const users = await resolveUsers(tx, input.users, 'users');
        const before = await repo.members(tx, group.id);
        const ids = [...new Set(users.map((u) => u.id))];
        await repo.setMembers(tx, group.id, ids);
        await repo.touchGroup(tx, group.id, clock.now());
        const after = await repo.members(tx, group.id);
        const row = (await repo.findGroup(tx, group.id))!;
        await audit.record(tx, actor, {
          action: 'approver_group.members_set', entityType: 'approver_group', entityId: group.id,
          before: { members: before.map((m) => m.email) }, after: { members: after.map((m) => m.email) },
        });
        await emit(tx, actor, 'approver_group.members_set', 'approver_group', group.id, row.version);
        return { ...presentGroup(row), members: after };
      });
    },

    // delegations

    async listDelegations(actor: Actor, query: DelegationListQuery): Promise<Page<Delegation>> {
      assertCan(actor, 'approval:read');
      let user: string | undefined;
      if (query.user) {
        const [u] = await resolveUsers(db, [query.user], 'user');
        user = u!.id;
      } else if (!can(actor, 'delegation:manage_all')) {
        user = actor.id ?? undefined;
      }
      if (user !== actor.id) assertCan(actor, 'delegation:manage_all');
      const c = cursorFor(query.cursor, 'startsAt');
      let after: { startsAt: Date; id: string } | undefined;
      if (c) {
        const at = typeof c.k === 'string' ? new Date(c.k) : null;
        if (!at || Number.isNaN(at.getTime())) throw new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [{ path: 'cursor', message: 'not a cursor issued by this API' }], 400);
        after = { startsAt: at, id: c.id };
      }
      const now = clock.now();
      const rows = await repo.listDelegations(db, { limit: query.limit, user, activeAt: query.active === 'true' ? now : undefined, after });
      return toPage(rows, query.limit, (r) => ({ k: r.starts_at.toISOString(), id: r.id, s: 'startsAt' }), (r) => presentDelegation(r, now));
    },

    async createDelegation(actor: Actor, input: DelegationCreate): Promise<Delegation> {
      assertCan(actor, 'delegation:write');
      return db.transaction().execute(async (tx) => {
        let userId = actor.id;
        if (input.user !== undefined) userId = (await resolveUsers(tx, [input.user], 'user'))[0]!.id;
        if (!userId) throw new Invalid('validation_failed', 'Say whose approvals are delegated.', [{ path: 'user', message: 'required for a system actor' }]);
        if (userId !== actor.id) assertCan(actor, 'delegation:manage_all');
        const delegate = (await resolveUsers(tx, [input.delegate], 'delegate'))[0]!;
        const start = new Date(input.startsAt);
        const end = new Date(input.endsAt);
        const now = clock.now();
        const errors: FieldError[] = [];
        if (delegate.id === userId) errors.push({ path: 'delegate', message: 'must be someone else than the person delegating' });
        if (end <= start) errors.push({ path: 'endsAt', message: 'must be after startsAt' });
        else if (end.getTime() - start.getTime() > MAX_DELEGATION_DAYS * DAY) errors.push({ path: 'endsAt', message: `at most ${MAX_DELEGATION_DAYS} days after startsAt` });
        if (end <= now) errors.push({ path: 'endsAt', message: 'must be in the future' });
        if (errors.length) throw new Invalid('validation_failed', `The delegation is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
        const id = newId();
        await repo.insertDelegation(tx, { id, user_id: userId, delegate_id: delegate.id, starts_at: start, ends_at: end, reason: input.reason, created_by: actor.id }, now);
        const row = (await repo.findDelegation(tx, id))!;
        await audit.record(tx, actor, {
          action: 'delegation.created', entityType: 'delegation', entityId: id,
          after: { user: userId, delegate: delegate.id, startsAt: start.toISOString(), endsAt: end.toISOString(), reason: input.reason },
        });
        await emit(tx, actor, 'delegation.created', 'delegation', id);
        return presentDelegation(row, now);
      });
    },

    /** The delegator, the delegate, or someone with delegation:manage_all ends a delegation. */
    async revokeDelegation(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'delegation:write');
      await db.transaction().execute(async (tx) => {
        const row = await repo.lockDelegation(tx, id);
        if (!row) throw new NotFound('Delegation', id);
        if (row.user_id !== actor.id && row.delegate_id !== actor.id && !can(actor, 'delegation:manage_all')) {
          throw new NotFound('Delegation', id); // others' delegations are not visible
        }
        if (row.revoked_at) throw new Conflict('already_revoked', `The delegation was already revoked at ${row.revoked_at.toISOString()}.`);
        const now = clock.now();
        await repo.revokeDelegation(tx, id, now);
        await audit.record(tx, actor, { action: 'delegation.revoked', entityType: 'delegation', entityId: id, after: { revokedAt: now.toISOString() } });
        await emit(tx, actor, 'delegation.revoked', 'delegation', id);
      });
    },

    // approvals of a change

    async changeApprovals(actor: Actor, changeRef: string): Promise<ChangeApprovals> {
      assertCan(actor, 'approval:read');
      return approvalsView(db, await changeFor(db, changeRef));
    },

    /** Replaces the current round's requirements, before anyone decided in it. */
    async setRules(actor: Actor, changeRef: string, input: ApprovalRulesPut): Promise<ChangeApprovals> {
      assertCan(actor, 'change:approval_rules');
      return db.transaction().execute(async (tx) => {
        const change = await changeFor(tx, changeRef, true);
        if (!RULE_STATES.includes(change.state)) {
          throw new Conflict('approval_rules_locked', `The change ${change.number} is in ${stateName(change.state)}: approval rules can be set only in new, assess or authorize.`, { currentState: stateName(change.state) });
        }
        const round = change.approvalRound;
        if ((await repo.decisions(tx, change.id, round)).length) {
          throw new Conflict('approvals_started', `Decisions were already recorded in round ${round} of ${change.number}: its rules can no longer change. A material edit of the change starts a new round.`);
        }
        const now = clock.now();
        const errors: FieldError[] = [];
        const rows: { id: string; change_id: string; round: number; group_id: string; quorum: number | null; due_at: Date; source: string }[] = [];
        for (const [i, rule] of input.rules.entries()) {
          const g = await repo.findGroup(tx, rule.group);
          if (!g) { errors.push({ path: `rules.${i}.group`, message: `no approver group ${JSON.stringify(rule.group)}` }); continue; }
          if (rows.some((r) => r.group_id === g.id)) errors.push({ path: `rules.${i}.group`, message: `the group '${g.key}' appears twice` });
          if (g.member_count === 0) errors.push({ path: `rules.${i}.group`, message: `the group '${g.key}' has no members` });
          else if (rule.quorum !== null && rule.quorum > g.member_count) errors.push({ path: `rules.${i}.quorum`, message: `the group '${g.key}' has only ${g.member_count} member(s)` });
          const due = rule.dueAt ? new Date(rule.dueAt) : new Date(now.getTime() + DEFAULT_DUE_HOURS * HOUR);
          if (due <= now) errors.push({ path: `rules.${i}.dueAt`, message: 'must be in the future' });
          rows.push({ id: newId(), change_id: change.id, round, group_id: g.id, quorum: rule.quorum, due_at: due, source: 'manual' });
        }
        if (errors.length) throw new Invalid('validation_failed', `The approval rules are not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
        const before = await repo.requirements(tx, change.id, round);
        await repo.deleteRequirements(tx, change.id, round);
        await repo.insertRequirements(tx, rows, now);
        const after = await repo.requirements(tx, change.id, round);
        const view = (r: RequirementRow) => ({ group: r.group_key, quorum: r.quorum, dueAt: r.due_at?.toISOString() ?? null });
        await audit.record(tx, actor, { action: 'approval.rules_set', entityType: 'change', entityId: change.id, before: { round, rules: before.map(view) }, after: { round, rules: after.map(view) } });
        await emit(tx, actor, 'approval.rules_set', 'change', change.id);
        return approvalsView(tx, change);
      });
    },

    /**
     * Marks overdue requirements of changes waiting in Authorize as escalated, once, and tells
     * listeners (change.approval_escalated). Run by the housekeeping job.
     */
    async escalateOverdue(now: Date = clock.now()): Promise<number> {
      const actor = systemActor('approval-escalation');
      let escalated = 0;
      for (const due of await repo.overdueRequirements(db, now)) {
        escalated += await db.transaction().execute(async (tx) => {
          const change = await workflow().load(tx, due.change_id);
          if (!change || change.state !== AUTHORIZE) return 0;
          const round = await computeRound(tx, change);
          const q = round.requirements.find((x) => x.row.id === due.id);
          if (!q || q.met || round.rejected) return 0;
          if (!(await repo.markEscalated(tx, due.id, now))) return 0;
          await audit.record(tx, actor, {
            action: 'change.approval_escalated', entityType: 'change', entityId: change.id,
            after: { number: change.number, round: round.round, group: q.row.group_key, dueAt: q.row.due_at?.toISOString() ?? null, approvals: q.approvals, needed: q.needed },
          });
          await emit(tx, actor, 'change.approval_escalated', 'change', change.id);
          return 1;
        });
      }
      return escalated;
    },
  };
}

export type ApprovalsService = ReturnType<typeof createApprovalsService>;
