import type { Db, Tx } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Cursor, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import { bounds, expand, isValidTimeZone, nextOccurrences, toLocal, validateDefinition } from './engine/index.js';
import type { Occurrence, WindowDefinition, WindowKind, WindowScope } from './engine/types.js';
import { definitionOf, type LoadedWindows, type WindowIndexCache } from './windows.index-cache.js';
import type { OverrideRow, RefJson, WindowRow, WindowsRepo, WindowValues } from './windows.repo.js';
import { bumpWindowRevision } from './windows.revision.js';
import {
  MAX_OCCURRENCE_RANGE_DAYS, NEXT_OCCURRENCES,
  type CalendarOccurrence, type EvaluateInput, type Evaluation, type OccurrenceOut, type OccurrencesQuery, type Override, type OverrideCreate,
  type OverrideListQuery, type Preview, type PreviewInput, type Recurrence, type Scope, type ScopeInput, type ScopePatch, type Window,
  type WindowCreate, type WindowKindInput, type WindowListQuery, type WindowPatch,
} from './windows.schemas.js';

const DAY = 86_400_000;
/** An evaluated activity may span at most this long (a change or deployment, not a season). */
const MAX_EVALUATION_DAYS = 400;
/** Occurrences per calendar response; a range holding more is reported as truncated. */
const MAX_CALENDAR_OCCURRENCES = 5000;
const ACTIVE_SCAN_BATCH = 200;

const iso = (ms: number) => new Date(ms).toISOString();
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const HAS_OFFSET = /(Z|[+-]\d{2}:\d{2})$/i;

function occurrenceOut(o: Occurrence, zone: string): OccurrenceOut {
  return { start: iso(o.start), end: iso(o.end), startLocal: toLocal(o.start, zone), endLocal: toLocal(o.end, zone) };
}

/** The engine's field names → the API's. */
const apiPath = (path: string) => (path === 'rrule' || path.startsWith('exdates') ? `recurrence.${path}` : path);

/** `2026-12-04T18:00` → `2026-12-04T18:00:00`, or null when the calendar has no such date or time. */
function normaliseLocal(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '00'].map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (y < 1900 || y > 8999 || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

interface Timing {
  timeZone: string;
  start: string;
  end: string;
  rrule: string | null;
  exdates: string[];
}

/**
 * Local wall clock, or an RFC 3339 instant converted to the zone's wall clock. Errors name the field;
 * nothing is converted when the zone itself is unknown.
 */
function normaliseTiming(
  input: { timeZone: string; start: string; end: string; recurrence?: Recurrence | null },
  kind: WindowKind,
): { timing: Timing | null; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!isValidTimeZone(input.timeZone)) {
    errors.push({ path: 'timeZone', message: `unknown time zone ${JSON.stringify(input.timeZone)}: use an IANA name such as Europe/Berlin or UTC` });
    return { timing: null, errors };
  }
  const convert = (value: string, path: string): string => {
    if (HAS_OFFSET.test(value)) {
      const ms = Date.parse(value);
      if (Number.isNaN(ms) || normaliseLocal(value) === null) {
        errors.push({ path, message: `not a valid RFC 3339 date and time: ${JSON.stringify(value)}` });
        return value;
      }
      return toLocal(ms, input.timeZone);
    }
    const local = normaliseLocal(value);
    if (local === null) {
      errors.push({ path, message: `not a valid date and time between 1900 and 8999: ${JSON.stringify(value)}` });
      return value;
    }
    return local;
  };
  const timing: Timing = {
    timeZone: input.timeZone,
    start: convert(input.start, 'start'),
    end: convert(input.end, 'end'),
    rrule: input.recurrence?.rrule.trim() ?? null,
    exdates: [...new Set((input.recurrence?.exdates ?? []).map((x, i) => convert(x, `recurrence.exdates.${i}`)))].sort(),
  };
  if (errors.length) return { timing: null, errors };
  const probe: WindowDefinition = { id: 'preview', name: 'preview', kind, ...timing, scope: { all: true, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] }, holder: null };
  for (const e of validateDefinition(probe)) errors.push({ path: apiPath(e.path), message: e.message });
  return { timing: errors.length ? null : timing, errors };
}

function assertValid(errors: FieldError[], code = 'invalid_window'): void {
  if (errors.length) {
    throw new Invalid(code, `The window is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
  }
}

interface ResolvedScope {
  all: boolean;
  serviceIds: string[];
  environmentIds: string[];
  serviceTiers: number[];
  tags: string[];
}

/** Whether a window's scope can include the service, whatever the environment. */
function scopeCanIncludeService(scope: WindowScope, svc: { id: string; tier: number; tags: string[] }): boolean {
  if (scope.all) return true;
  if (scope.serviceIds.length && !scope.serviceIds.includes(svc.id)) return false;
  if (scope.serviceTiers.length && !scope.serviceTiers.includes(svc.tier)) return false;
  if (scope.tags.length && !scope.tags.some((t) => svc.tags.includes(t))) return false;
  return true;
}

const scopeCanIncludeEnvironment = (scope: WindowScope, environmentId: string) =>
  scope.all || scope.environmentIds.length === 0 || scope.environmentIds.includes(environmentId);

export interface WindowsDeps {
  db: Db;
  repo: WindowsRepo;
  index: WindowIndexCache;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createWindowsService(deps: WindowsDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  function present(row: WindowRow, now: Date): Window {
    const def = definitionOf(row, row.services.map((s) => s.id), row.environments.map((e) => e.id));
    return {
      id: row.id, name: row.name, description: row.description, kind: row.kind, timeZone: row.time_zone,
      start: row.starts_local, end: row.ends_local,
      recurrence: row.rrule === null ? null : { rrule: row.rrule, exdates: row.exdates },
      bounds: { firstStart: row.first_start.toISOString(), lastEnd: row.last_end?.toISOString() ?? null },
      scope: { all: row.scope_all, services: row.services, environments: row.environments, serviceTiers: row.scope_service_tiers, tags: row.scope_tags },
      nextOccurrences: nextOccurrences(def, now.getTime(), NEXT_OCCURRENCES).map((o) => occurrenceOut(o, row.time_zone)),
      createdBy: row.created_by,
      version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
    };
  }

  /** The audited shape: what a person would want to see change. */
  const auditView = (w: Window) => ({
    name: w.name, description: w.description, kind: w.kind, timeZone: w.timeZone, start: w.start, end: w.end,
    rrule: w.recurrence?.rrule ?? null, exdates: w.recurrence?.exdates ?? [],
    scope: { all: w.scope.all, services: w.scope.services.map((s) => s.key), environments: w.scope.environments.map((e) => e.key), serviceTiers: w.scope.serviceTiers, tags: w.scope.tags },
  });

  async function emit(tx: Tx, actor: Actor, type: string, w: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'window', entityId: w.id, version: w.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  async function load(tx: Tx | Db, id: string): Promise<Window> {
    return present((await repo.find(tx, id))!, clock.now());
  }

  /** Ids or keys → ids, naming the unknown ones; an empty scope without all: true is refused. */
  async function resolveScope(tx: Tx, scope: { all: boolean; services: string[]; environments: string[]; serviceTiers: number[]; tags: string[] }): Promise<{ scope: ResolvedScope | null; errors: FieldError[]; code: string }> {
    const errors: FieldError[] = [];
    const svc = await repo.resolveServices(tx, [...new Set(scope.services)]);
    const env = await repo.resolveEnvironments(tx, [...new Set(scope.environments)]);
    for (const m of svc.missing) errors.push({ path: 'scope.services', message: `no service '${m}'` });
    for (const m of env.missing) errors.push({ path: 'scope.environments', message: `no environment '${m}'` });
    if (errors.length) return { scope: null, errors, code: 'unknown_reference' };
    const dims = scope.services.length + scope.environments.length + scope.serviceTiers.length + scope.tags.length;
    if (scope.all && dims > 0) errors.push({ path: 'scope.all', message: 'all: true applies to everything: leave out services, environments, serviceTiers and tags, or drop all' });
    if (!scope.all && dims === 0) errors.push({ path: 'scope', message: 'name services, environments, service tiers or tags, or set all: true to apply the window to everything' });
    if (errors.length) return { scope: null, errors, code: 'invalid_scope' };
    return {
      scope: {
        all: scope.all,
        serviceIds: [...new Set(svc.found.values())],
        environmentIds: [...new Set(env.found.values())],
        serviceTiers: [...new Set(scope.serviceTiers)].sort(),
        tags: [...new Set(scope.tags)].sort(),
      },
      errors: [],
      code: '',
    };
  }

  function valuesOf(name: string, description: string, kind: WindowKindInput, timing: Timing, scope: ResolvedScope): WindowValues {
    const def: WindowDefinition = { id: 'new', name, kind, ...timing, scope, holder: null };
    const b = bounds(def);
    return {
      name, description, kind, time_zone: timing.timeZone, starts_local: timing.start, ends_local: timing.end, rrule: timing.rrule, exdates: timing.exdates,
      first_start: new Date(b.firstStart), last_end: b.lastEnd === null ? null : new Date(b.lastEnd),
      scope_all: scope.all, scope_service_tiers: scope.serviceTiers, scope_tags: scope.tags,
    };
  }

  function mapIds(text: string, loaded: LoadedWindows): string {
    return text.replace(UUID_IN_TEXT, (id) => loaded.services.get(id)?.key ?? loaded.environments.get(id)?.key ?? loaded.teams.get(id)?.key ?? loaded.releases.get(id)?.key ?? id);
  }

  function presentScope(def: WindowDefinition, loaded: LoadedWindows): Scope {
    const ref = (m: Map<string, RefJson>, id: string) => m.get(id) ?? { id, key: id, name: id };
    return {
      all: def.scope.all,
      services: def.scope.serviceIds.map((id) => ref(loaded.services, id)),
      environments: def.scope.environmentIds.map((id) => ref(loaded.environments, id)),
      serviceTiers: def.scope.serviceTiers,
      tags: def.scope.tags,
    };
  }

  const presentOverride = (o: OverrideRow): Override => ({
    id: o.id, windowId: o.window_id, subjectType: o.subject_type, subjectRef: o.subject_ref, reason: o.reason,
    createdBy: { id: o.created_by, name: o.created_by_name }, createdAt: o.created_at.toISOString(),
  });

  async function lockOr404(tx: Tx, id: string, ifMatch?: number | '*') {
    const locked = await repo.lock(tx, id);
    if (!locked) throw new NotFound('Window', id);
    assertVersion(ifMatch, locked.version, 'The window');
    return locked;
  }

  async function lookupOrInvalid<T>(found: Promise<T | undefined>, what: string, ref: string, path: string): Promise<T> {
    const row = await found;
    if (!row) throw new Invalid('unknown_reference', `The ${what} '${ref}' does not exist.`, [{ path, message: `no such ${what}` }]);
    return row;
  }

  const service = {
    async list(actor: Actor, query: WindowListQuery): Promise<Page<Window>> {
      assertCan(actor, 'window:read');
      const now = clock.now();
      let svc: { id: string; tier: number; tags: string[] } | undefined;
      let environmentId: string | undefined;
      if (query.service) {
        svc = await repo.service(db, query.service);
        if (!svc) return { items: [], nextCursor: null };
      }
      if (query.environment) {
        environmentId = (await repo.environment(db, query.environment))?.id;
        if (!environmentId) return { items: [], nextCursor: null };
      }
      const activeAt = query.activeAt ? new Date(query.activeAt) : undefined;
      const sortValue = (r: WindowRow) => ({ name: r.name, firstStart: r.first_start.toISOString(), updatedAt: r.updated_at.toISOString() })[query.sort.field];
      const cursorOf = (r: WindowRow): Cursor => ({ k: sortValue(r), id: r.id, s: query.sort.field });
      const filter = { sort: query.sort, kind: query.kind, q: query.q, service: svc, environmentId, activeAt };
      let cursor = cursorFor(query.cursor, query.sort.field);
      if (!activeAt) {
        const rows = await repo.list(db, { ...filter, limit: query.limit, cursor });
        return toPage(rows, query.limit, cursorOf, (r) => present(r, now));
      }
      // the bounds pre-filter in SQL; whether an occurrence holds the instant is the engine's answer
      const t = activeAt.getTime();
      const matched: WindowRow[] = [];
      for (;;) {
        const batch = await repo.list(db, { ...filter, limit: ACTIVE_SCAN_BATCH - 1, cursor });
        for (const r of batch) {
          const def = definitionOf(r, r.services.map((s) => s.id), r.environments.map((e) => e.id));
          if (expand(def, t, t + 1).length > 0) matched.push(r);
          if (matched.length > query.limit) break;
        }
        if (matched.length > query.limit || batch.length < ACTIVE_SCAN_BATCH) break;
        cursor = cursorOf(batch[batch.length - 1]!);
      }
      return toPage(matched, query.limit, cursorOf, (r) => present(r, now));
    },

    async get(actor: Actor, id: string): Promise<Window> {
      assertCan(actor, 'window:read');
      const row = await repo.find(db, id);
      if (!row) throw new NotFound('Window', id);
      return present(row, clock.now());
    },

    async create(actor: Actor, input: WindowCreate): Promise<Window> {
      assertCan(actor, 'window:write');
      const { timing, errors } = normaliseTiming(input, input.kind);
      return db.transaction().execute(async (tx) => {
        const s = input.scope;
        const resolved = await resolveScope(tx, { all: s.all ?? false, services: s.services ?? [], environments: s.environments ?? [], serviceTiers: s.serviceTiers ?? [], tags: s.tags ?? [] });
        assertValid([...errors, ...resolved.errors], errors.length ? 'invalid_window' : resolved.code);
        const id = newId();
        const now = clock.now();
        await repo.insert(tx, id, valuesOf(input.name, input.description ?? '', input.kind, timing!, resolved.scope!), actor.id, now);
        await repo.setScope(tx, id, resolved.scope!.serviceIds, resolved.scope!.environmentIds);
        await bumpWindowRevision(tx);
        const created = await load(tx, id);
        await emit(tx, actor, 'window.created', created);
        await audit.record(tx, actor, { action: 'window.created', entityType: 'window', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, id: string, patch: WindowPatch, ifMatch?: number | '*'): Promise<Window> {
      assertCan(actor, 'window:write');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, id, ifMatch);
        const before = await load(tx, locked.id);
        if (Object.keys(patch).length === 0) return before;
        const kind = patch.kind ?? before.kind;
        const recurrence = patch.recurrence === undefined ? before.recurrence : patch.recurrence;
        const { timing, errors } = normaliseTiming(
          { timeZone: patch.timeZone ?? before.timeZone, start: patch.start ?? before.start, end: patch.end ?? before.end, recurrence },
          kind,
        );
        const sp: ScopePatch = patch.scope ?? {};
        const pick = <T>(v: T[] | null | undefined, current: T[]): T[] => (v === undefined ? current : (v ?? []));
        const resolved = await resolveScope(tx, {
          all: sp.all === undefined ? before.scope.all : (sp.all ?? false),
          services: pick(sp.services, before.scope.services.map((x) => x.id)),
          environments: pick(sp.environments, before.scope.environments.map((x) => x.id)),
          serviceTiers: pick(sp.serviceTiers, before.scope.serviceTiers),
          tags: pick(sp.tags, before.scope.tags),
        });
        assertValid([...errors, ...resolved.errors], errors.length ? 'invalid_window' : resolved.code);
        const description = patch.description === undefined ? before.description : (patch.description ?? '');
        await repo.update(tx, locked.id, valuesOf(patch.name ?? before.name, description, kind, timing!, resolved.scope!), clock.now());
        await repo.setScope(tx, locked.id, resolved.scope!.serviceIds, resolved.scope!.environmentIds);
        await bumpWindowRevision(tx);
        const after = await load(tx, locked.id);
        await emit(tx, actor, 'window.updated', after);
        await audit.record(tx, actor, { action: 'window.updated', entityType: 'window', entityId: locked.id, before: auditView(before), after: auditView(after) });
        return after;
      });
    },

    async remove(actor: Actor, id: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'window:write');
      await db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, id, ifMatch);
        const before = await load(tx, locked.id);
        await repo.delete(tx, locked.id);
        await bumpWindowRevision(tx);
        await emit(tx, actor, 'window.deleted', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'window.deleted', entityType: 'window', entityId: locked.id, before: auditView(before) });
      });
    },

    /** The recurrence builder's check before saving: the normalised timing and the next occurrences; nothing stored. */
    async preview(actor: Actor, input: PreviewInput): Promise<Preview> {
      assertCan(actor, 'window:read');
      const kind = input.kind ?? 'blackout';
      const { timing, errors } = normaliseTiming(input, kind);
      assertValid(errors);
      const def: WindowDefinition = { id: 'preview', name: 'preview', kind, ...timing!, scope: { all: true, serviceIds: [], environmentIds: [], serviceTiers: [], tags: [] }, holder: null };
      const b = bounds(def);
      return {
        timeZone: timing!.timeZone, start: timing!.start, end: timing!.end,
        bounds: { firstStart: iso(b.firstStart), lastEnd: b.lastEnd === null ? null : iso(b.lastEnd) },
        occurrences: nextOccurrences(def, clock.now().getTime(), NEXT_OCCURRENCES).map((o) => occurrenceOut(o, timing!.timeZone)),
      };
    },

    /** May this activity happen on (service, environment) over [start, end), and if not, why and when instead. */
    async evaluate(actor: Actor, input: EvaluateInput): Promise<Evaluation> {
      assertCan(actor, 'window:read');
      const start = Date.parse(input.start);
      const end = Date.parse(input.end);
      if (end <= start) throw new Invalid('invalid_range', 'end must be after start.', [{ path: 'end', message: 'must be after start' }]);
      if (end - start > MAX_EVALUATION_DAYS * DAY) {
        throw new Invalid('invalid_range', `An evaluated activity may span at most ${MAX_EVALUATION_DAYS} days.`, [{ path: 'end', message: `at most ${MAX_EVALUATION_DAYS} days after start` }]);
      }
      const svc = await lookupOrInvalid(repo.service(db, input.service), 'service', input.service, 'service');
      const env = await lookupOrInvalid(repo.environment(db, input.environment), 'environment', input.environment, 'environment');
      const team = input.team ? await lookupOrInvalid(repo.team(db, input.team), 'team', input.team, 'team') : undefined;
      const release = input.release ? await lookupOrInvalid(repo.release(db, input.release), 'release', input.release, 'release') : undefined;
      const overrides = new Map<string, { by: string; reason: string; at: string }>();
      if (input.subject) {
        for (const o of await repo.overridesForSubject(db, input.subject.type, input.subject.ref)) {
          overrides.set(o.window_id, { by: o.created_by_name, reason: o.reason, at: o.created_at.toISOString() });
        }
      }
      const loaded = await deps.index.get();
      const result = loaded.index.evaluate({
        subject: { serviceId: svc.id, serviceTier: svc.tier, serviceTags: svc.tags, environmentId: env.id, teamId: team?.id ?? null, releaseId: release?.id ?? null },
        activity: input.kind,
        start, end, overrides,
      });
      return {
        allowed: result.allowed,
        windows: result.windows.map((w) => ({
          window: { id: w.windowId, name: w.name, kind: w.kind },
          effect: w.effect,
          occurrence: w.occurrence,
          scopeMatch: w.scopeMatch.map((m) => mapIds(m, loaded)),
          reason: mapIds(w.reason, loaded),
          override: w.override,
        })),
        nextAllowed: result.nextAllowed,
      };
    },

    /**
     * Occurrences of windows and approved bookings overlapping [from, to), for calendars. With a
     * team: windows that can apply to one of its services, and bookings it holds; with a service or
     * environment: windows that can apply to it.
     */
    async occurrences(
      actor: Actor,
      q: { from: Date; to: Date; kinds?: (WindowKindInput | 'booking')[]; teamId?: string; serviceId?: string; environmentId?: string },
    ): Promise<{ items: CalendarOccurrence[]; truncated: boolean }> {
      assertCan(actor, 'window:read');
      const from = q.from.getTime();
      const to = q.to.getTime();
      if (!(to > from)) throw new Invalid('validation_failed', 'to must be after from.', [{ path: 'to', message: 'must be after from' }], 400);
      if (to - from > MAX_OCCURRENCE_RANGE_DAYS * DAY) {
        throw new Invalid('validation_failed', `The range may span at most ${MAX_OCCURRENCE_RANGE_DAYS} days.`, [{ path: 'to', message: `at most ${MAX_OCCURRENCE_RANGE_DAYS} days after from` }], 400);
      }
      const [svc] = q.serviceId ? await repo.servicesById(db, [q.serviceId]) : [];
      if (q.serviceId && !svc) return { items: [], truncated: false };
      const teamServices = q.teamId ? await repo.servicesOfTeam(db, q.teamId) : [];
      const loaded = await deps.index.get();
      const kinds = q.kinds?.length ? new Set<string>(q.kinds) : null;
      const keep = (def: WindowDefinition) => {
        if (kinds && !kinds.has(def.kind)) return false;
        if (svc && !scopeCanIncludeService(def.scope, svc)) return false;
        if (q.environmentId && !scopeCanIncludeEnvironment(def.scope, q.environmentId)) return false;
        if (q.teamId) {
          if (def.kind === 'booking') return def.holder?.teamId === q.teamId;
          if (!teamServices.some((s) => scopeCanIncludeService(def.scope, s))) return false;
        }
        return true;
      };
      const found = loaded.index.occurrences({ from, to, ...(q.kinds?.length ? { kinds: q.kinds } : {}) }).filter((x) => keep(x.window));
      found.sort((a, b) => a.occurrence.start - b.occurrence.start || a.window.id.localeCompare(b.window.id));
      const truncated = found.length > MAX_CALENDAR_OCCURRENCES;
      const ref = (m: Map<string, RefJson>, id: string | null) => (id ? (m.get(id) ?? null) : null);
      const items = found.slice(0, MAX_CALENDAR_OCCURRENCES).map(({ window: def, occurrence }) => ({
        window: {
          id: def.id, name: def.name, kind: def.kind, timeZone: def.timeZone, scope: presentScope(def, loaded),
          holder: def.holder ? { team: ref(loaded.teams, def.holder.teamId), release: ref(loaded.releases, def.holder.releaseId) } : null,
        },
        ...occurrenceOut(occurrence, def.timeZone),
      }));
      return { items, truncated };
    },

    /** GET /windows/occurrences: the same, with ids or keys in the query. */
    async occurrencesQuery(actor: Actor, q: OccurrencesQuery) {
      assertCan(actor, 'window:read');
      let serviceId: string | undefined;
      let environmentId: string | undefined;
      if (q.service) serviceId = (await lookupOrInvalid(repo.service(db, q.service), 'service', q.service, 'service')).id;
      if (q.environment) environmentId = (await lookupOrInvalid(repo.environment(db, q.environment), 'environment', q.environment, 'environment')).id;
      const from = new Date(q.from);
      const to = new Date(q.to);
      const kinds = q.kind ? ([...new Set(q.kind.split(','))] as (WindowKindInput | 'booking')[]) : undefined;
      const { items, truncated } = await service.occurrences(actor, { from, to, kinds, serviceId, environmentId });
      return { from: from.toISOString(), to: to.toISOString(), items, truncated };
    },

    async createOverride(actor: Actor, windowId: string, input: OverrideCreate): Promise<Override> {
      assertCan(actor, 'window:override');
      return db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, windowId);
        if (locked.kind !== 'freeze') {
          const why = locked.kind === 'blackout'
            ? 'a blackout stops changes and deployments without exception'
            : 'a maintenance window says when changes may happen; plan the change inside one of its occurrences instead';
          throw new Conflict('override_not_allowed', `Only freezes can be overridden: '${locked.name}' is a ${locked.kind}, and ${why}.`, { kind: locked.kind });
        }
        const id = newId();
        const now = clock.now();
        try {
          await repo.insertOverride(tx, {
            id, window_id: locked.id, subject_type: input.subjectType, subject_ref: input.subjectRef, reason: input.reason,
            created_by: actor.id, created_by_name: actor.name,
          }, now);
        } catch (err) {
          if (isUniqueViolation(err, 'time_window_overrides_window_id_subject_type_subject_ref_key')) {
            throw new Conflict('duplicate_override', `The freeze '${locked.name}' is already overridden for ${input.subjectType} '${input.subjectRef}'.`, { errors: [{ path: 'subjectRef', message: 'already overridden' }] });
          }
          throw err;
        }
        await bumpWindowRevision(tx);
        await emit(tx, actor, 'window.overridden', locked);
        await audit.record(tx, actor, {
          action: 'window.overridden', entityType: 'window', entityId: locked.id,
          after: { override: id, subjectType: input.subjectType, subjectRef: input.subjectRef, reason: input.reason },
        });
        return presentOverride({ id, window_id: locked.id, subject_type: input.subjectType, subject_ref: input.subjectRef, reason: input.reason, created_by: actor.id, created_by_name: actor.name, created_at: now });
      });
    },

    async listOverrides(actor: Actor, windowId: string, query: OverrideListQuery): Promise<Page<Override>> {
      assertCan(actor, 'window:read');
      if (!(await repo.find(db, windowId))) throw new NotFound('Window', windowId);
      const cursor = cursorFor(query.cursor, 'createdAt');
      const rows = await repo.overrides(db, windowId, { limit: query.limit, cursor });
      return toPage(rows, query.limit, (r) => ({ k: r.created_at.toISOString(), id: r.id, s: 'createdAt' }), presentOverride);
    },

    async removeOverride(actor: Actor, windowId: string, overrideId: string): Promise<void> {
      assertCan(actor, 'window:override');
      await db.transaction().execute(async (tx) => {
        const locked = await lockOr404(tx, windowId);
        const o = await repo.findOverride(tx, locked.id, overrideId);
        if (!o) throw new NotFound('Window override', overrideId);
        await repo.deleteOverride(tx, o.id);
        await bumpWindowRevision(tx);
        await emit(tx, actor, 'window.override_removed', locked);
        await audit.record(tx, actor, {
          action: 'window.override_removed', entityType: 'window', entityId: locked.id,
          before: { override: o.id, subjectType: o.subject_type, subjectRef: o.subject_ref, reason: o.reason },
        });
      });
    },

    /** For other modules' delete checks: the windows whose scope names this service or environment. */
    async windowNamesScoping(tx: Tx, what: { serviceId?: string; environmentId?: string }): Promise<string[]> {
      if (what.serviceId) return repo.namesScopingService(tx, what.serviceId);
      if (what.environmentId) return repo.namesScopingEnvironment(tx, what.environmentId);
      return [];
    },
  };
  return service;
}

export type WindowsService = ReturnType<typeof createWindowsService>;
