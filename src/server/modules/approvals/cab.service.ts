import type { Db, Executor, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, DomainError, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import { expand, isValidTimeZone, nextOccurrences, toLocal, validateDefinition, type Occurrence, type WindowDefinition } from '../windows/engine/index.js';
import { formatLocal, parseLocal } from '../windows/engine/zone.js';
import type { ApprovalsRepo, BoardRow } from './approvals.repo.js';
import type { ApprovalsService } from './approvals.service.js';
import { MAX_MEETING_RANGE_DAYS, type Agenda, type AgendaQuery, type BulkDecisions, type BulkResult, type CabBoard, type CabCreate, type CabListQuery, type CabPatch, type MeetingsQuery } from './approvals.schemas.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const AGENDA_LIMIT = 500;

/** `YYYY-MM-DDTHH:mm` → `YYYY-MM-DDTHH:mm:ss`. */
const withSeconds = (local: string) => (local.length === 16 ? `${local}:00` : local);

interface Timing { time_zone: string; first_meeting_local: string; duration_minutes: number; rrule: string }

/** A board's meetings as a window definition, so the time-window engine expands them (DST included). */
function definitionOf(id: string, t: Timing): WindowDefinition {
  const start = parseLocal(t.first_meeting_local);
  return {
    id, name: 'CAB meeting', kind: 'maintenance', timeZone: t.time_zone, start: t.first_meeting_local,
    end: start === null ? t.first_meeting_local : formatLocal(start + t.duration_minutes * MINUTE),
    rrule: t.rrule, exdates: [], scope: { all: true, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] }, holder: null,
  };
}

/** Engine field names → the board's. */
const FIELD = { start: 'firstMeeting', end: 'durationMinutes', timeZone: 'timeZone', rrule: 'rrule' } as Record<string, string>;

function timingErrors(t: Timing): FieldError[] {
  if (!isValidTimeZone(t.time_zone)) return [{ path: 'timeZone', message: `unknown time zone ${JSON.stringify(t.time_zone)}: use an IANA name such as Europe/Berlin or UTC` }];
  if (parseLocal(t.first_meeting_local) === null) return [{ path: 'firstMeeting', message: `not a real local date and time: ${JSON.stringify(t.first_meeting_local)}` }];
  return validateDefinition(definitionOf('probe', t)).map((e) => ({ path: FIELD[e.path] ?? e.path, message: e.message }));
}

const meetingOut = (o: Occurrence, zone: string) => ({ start: new Date(o.start).toISOString(), end: new Date(o.end).toISOString(), localStart: toLocal(o.start, zone) });

export interface CabDeps {
  db: Db;
  repo: ApprovalsRepo;
  approvals: ApprovalsService;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createCabService(deps: CabDeps) {
  const { db, repo, approvals, audit, outbox, clock } = deps;

  const emit = (tx: Tx, actor: Actor, type: string, b: { id: string; version: number }) =>
    publishEvent(outbox, tx, { type, entityType: 'cab_board', entityId: b.id, version: b.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });

  function present(r: BoardRow): CabBoard {
    return {
      id: r.id, key: r.key, name: r.name, group: { id: r.group_id, key: r.group_key, name: r.group_name }, timeZone: r.time_zone,
      firstMeeting: r.first_meeting_local, durationMinutes: r.duration_minutes, rrule: r.rrule,
      nextMeetings: nextOccurrences(definitionOf(r.id, r), clock.now().getTime(), 3).map((o) => meetingOut(o, r.time_zone)),
      version: r.version, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
    };
  }

  const auditView = (b: CabBoard) => ({ key: b.key, name: b.name, group: b.group.key, timeZone: b.timeZone, firstMeeting: b.firstMeeting, durationMinutes: b.durationMinutes, rrule: b.rrule });

  async function mustFind(ref: string, executor: Executor = db) {
    const row = await repo.findBoard(executor, ref);
    if (!row) throw new NotFound('CAB board', ref);
    return row;
  }

  async function groupIdOf(executor: Executor, ref: string): Promise<string> {
    const g = await repo.findGroup(executor, ref);
    if (!g) throw new Invalid('unknown_reference', `The approver group '${ref}' does not exist.`, [{ path: 'group', message: 'no such approver group' }]);
    return g.id;
  }

  function assertTiming(t: Timing) {
    const errors = timingErrors(t);
    if (errors.length) throw new Invalid('invalid_schedule', `The meeting schedule is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
  }

  return {
    async list(actor: Actor, query: CabListQuery): Promise<Page<CabBoard>> {
      assertCan(actor, 'cab:read');
      const c = cursorFor(query.cursor, 'key');
      const rows = await repo.listBoards(db, { limit: query.limit, afterKey: c ? { k: String(c.k), id: c.id } : undefined });
      return toPage(rows, query.limit, (r) => ({ k: r.key, id: r.id, s: 'key' }), present);
    },

    async get(actor: Actor, ref: string): Promise<CabBoard> {
      assertCan(actor, 'cab:read');
      return present(await mustFind(ref));
    },

    async create(actor: Actor, input: CabCreate): Promise<CabBoard> {
      assertCan(actor, 'cab:write');
      const timing: Timing = { time_zone: input.timeZone, first_meeting_local: withSeconds(input.firstMeeting), duration_minutes: input.durationMinutes, rrule: input.rrule };
      assertTiming(timing);
      return db.transaction().execute(async (tx) => {
        if (await repo.boardKeyExists(tx, input.key)) {
          throw new Conflict('duplicate_key', `A CAB board with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
        }
        const groupId = await groupIdOf(tx, input.group);
        const id = newId();
        await repo.insertBoard(tx, { id, key: input.key, name: input.name, group_id: groupId, ...timing }, clock.now());
        const board = present((await repo.findBoard(tx, id))!);
        await audit.record(tx, actor, { action: 'cab.created', entityType: 'cab_board', entityId: id, after: auditView(board) });
        await emit(tx, actor, 'cab.created', board);
        return board;
      });
    },

    async update(actor: Actor, ref: string, patch: CabPatch, ifMatch?: number | '*'): Promise<CabBoard> {
      assertCan(actor, 'cab:write');
      return db.transaction().execute(async (tx) => {
        const row = await mustFind(ref, tx);
        const locked = (await repo.lockBoard(tx, row.id))!;
        assertVersion(ifMatch, locked.version, 'The CAB board');
        const timing: Timing = {
          time_zone: patch.timeZone ?? row.time_zone, first_meeting_local: patch.firstMeeting ? withSeconds(patch.firstMeeting) : row.first_meeting_local,
          duration_minutes: patch.durationMinutes ?? row.duration_minutes, rrule: patch.rrule ?? row.rrule,
        };
        assertTiming(timing);
        const values = { ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.group !== undefined ? { group_id: await groupIdOf(tx, patch.group) } : {}), ...timing };
        const before = present(row);
        await repo.updateBoard(tx, row.id, values, clock.now());
        const after = present((await repo.findBoard(tx, row.id))!);
        await audit.record(tx, actor, { action: 'cab.updated', entityType: 'cab_board', entityId: row.id, before: auditView(before), after: auditView(after) });
        await emit(tx, actor, 'cab.updated', after);
        return after;
      });
    },

    async meetings(actor: Actor, ref: string, query: MeetingsQuery) {
      assertCan(actor, 'cab:read');
      const board = await mustFind(ref);
      const from = query.from ? Date.parse(query.from) : clock.now().getTime();
      const to = query.to ? Date.parse(query.to) : from + 30 * DAY;
      if (to <= from) throw new Invalid('validation_failed', 'to must be after from.', [{ path: 'to', message: 'must be after from' }], 400);
      if (to - from > MAX_MEETING_RANGE_DAYS * DAY) throw new Invalid('validation_failed', `The range is at most ${MAX_MEETING_RANGE_DAYS} days.`, [{ path: 'to', message: `at most ${MAX_MEETING_RANGE_DAYS} days after from` }], 400);
      return { items: expand(definitionOf(board.id, board), from, to).map((o) => meetingOut(o, board.time_zone)) };
    },

    /**
     * The changes due at a meeting: in Authorize, needing the board's group in their current round,
     * planned to start before the following meeting (unplanned ones too: they wait for a decision
     * as well); very high risk first, then by planned start.
     */
    async agenda(actor: Actor, ref: string, query: AgendaQuery): Promise<Agenda> {
      assertCan(actor, 'cab:read');
      const board = await mustFind(ref);
      const def = definitionOf(board.id, board);
      let meeting: Occurrence | undefined;
      if (query.meeting) {
        const at = Date.parse(query.meeting);
        meeting = expand(def, at, at + 1).find((o) => o.start === at);
        if (!meeting) {
          const next = nextOccurrences(def, at, 1)[0];
          throw new Invalid('not_a_meeting', `No meeting of '${board.key}' starts at ${new Date(at).toISOString()}.${next ? ` The next one starts at ${new Date(next.start).toISOString()}.` : ''}`, [{ path: 'meeting', message: 'not the start of a meeting of this board' }], 400);
        }
      } else {
        meeting = nextOccurrences(def, clock.now().getTime(), 1)[0];
        if (!meeting) throw new Conflict('no_meeting', `The board '${board.key}' has no more meetings.`);
      }
      const following = nextOccurrences(def, meeting.end, 2).find((o) => o.start > meeting!.start) ?? null;
      const rows = await repo.agendaChanges(db, board.group_id, following ? new Date(following.start) : null, AGENDA_LIMIT);
      const items = [];
      for (const c of rows) {
        // on the agenda only changes with requirements in this round: a policy's auto-approval does not apply to them
        const round = await approvals.computeRound(db, { id: c.id, approvalRound: c.approval_round, requestedBy: c.requested_by, assigneeId: c.assignee_id, policy: null });
        items.push({
          change: {
            id: c.id, number: c.number, title: c.title, type: c.type, riskLevel: c.risk_level,
            plannedStart: c.planned_start?.toISOString() ?? null, plannedEnd: c.planned_end?.toISOString() ?? null,
            requestedBy: c.requested_by && c.requested_by_name !== null ? { id: c.requested_by, name: c.requested_by_name } : null,
          },
          round: round.round,
          needs: round.requirements.map((q) => ({
            group: q.view.group, needed: q.needed, approvals: q.approvals, met: q.met,
            mayApprove: q.view.mayApprove.map((p) => ({ id: p.id, name: p.name })), excluded: q.view.excluded,
          })),
        });
      }
      return {
        board: { id: board.id, key: board.key, name: board.name },
        meeting: meetingOut(meeting, board.time_zone),
        nextMeeting: following ? meetingOut(following, board.time_zone) : null,
        items,
      };
    },

    /** Decisions taken in a meeting: each its own transaction and checks; each result reported. */
    async bulkDecide(actor: Actor, ref: string, input: BulkDecisions): Promise<BulkResult> {
      assertCan(actor, 'change:approve');
      const board = await mustFind(ref);
      const items: BulkResult['items'] = [];
      for (const d of input.decisions) {
        try {
          const r = await approvals.decide(actor, d.change, { decision: d.decision, comment: d.comment, groupId: board.group_id });
          items.push({ change: d.change, ok: true, decision: r.decision, problem: null });
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          items.push({ change: d.change, ok: false, decision: null, problem: { status: err.status, code: err.code, detail: err.message } });
        }
      }
      return { items };
    },
  };
}

export type CabService = ReturnType<typeof createCabService>;
