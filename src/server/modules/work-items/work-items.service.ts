import type { Db, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Conflict, Invalid, NotFound, PreconditionFailed } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import type { GatesService } from '../gates/gates.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { ReleaseInfo, WorkItemRow, WorkItemsRepo, WorkItemValues } from './work-items.repo.js';
import type { ReleaseNotes, ReleaseScope, WorkItem, WorkItemCreate, WorkItemListQuery, WorkItemPatch, WorkItemUpsert } from './work-items.schemas.js';

export function present(row: WorkItemRow): WorkItem {
  return {
    id: row.id,
    source: row.source,
    externalKey: row.external_key,
    url: row.url,
    type: row.type,
    title: row.title,
    statusCategory: row.status_category,
    status: row.status,
    assignee: row.assignee,
    blocking: row.blocking,
    release: row.release,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const auditView = (w: WorkItem) => ({
  source: w.source, externalKey: w.externalKey, url: w.url, type: w.type, title: w.title, statusCategory: w.statusCategory,
  status: w.status, assignee: w.assignee, blocking: w.blocking, release: w.release?.key ?? null,
});

/** Scope changes after a release entered Planned are scope creep. */
export const isScopeCreep = (release: Pick<ReleaseInfo, 'status' | 'planned_at'>) => release.planned_at !== null && release.status !== 'draft';

/** Release-note sections in reading order; other types follow alphabetically. */
const TYPE_ORDER = ['epic', 'feature', 'story', 'improvement', 'enhancement', 'bug', 'task', 'chore'];
const SECTION_TITLES: Record<string, string> = {
  epic: 'Epics', feature: 'Features', story: 'Stories', improvement: 'Improvements', enhancement: 'Enhancements', bug: 'Bug fixes', task: 'Tasks', chore: 'Chores',
};
const sectionTitle = (type: string) => SECTION_TITLES[type] ?? type.charAt(0).toUpperCase() + type.slice(1);

/** Markdown-safe inline text: escape what would change the rendering. */
const mdEscape = (s: string) => s.replace(/([\\`*_{}[\]()<>#+!|~])/g, '\\$1');

export function renderNotesMarkdown(notes: ReleaseNotes): string {
  const r = notes.release;
  const lines = [`# ${mdEscape(r.name)}${r.version ? ` ${mdEscape(r.version)}` : ''}`, '', `Release \`${r.key}\` · status ${r.status.replace('_', ' ')}`, ''];
  if (notes.sections.length === 0) lines.push('_No work items in this release yet._', '');
  for (const s of notes.sections) {
    lines.push(`## ${mdEscape(s.title)}`, '');
    for (const i of s.items) {
      const key = i.url ? `[${mdEscape(i.externalKey)}](<${i.url.replace(/[<>\s]/g, encodeURIComponent)}>)` : mdEscape(i.externalKey);
      lines.push(`- ${key} ${mdEscape(i.title)}${i.done ? '' : ' _(not done)_'}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export interface WorkItemsDeps {
  db: Db;
  repo: WorkItemsRepo;
  gates: Pick<GatesService, 'reevaluateRelease'>;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

const SCOPE_GROUP_LIMIT = 500;
const NOTES_LIMIT = 5000;

export function createWorkItemsService(deps: WorkItemsDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, entityType: string, e: { id: string; version: number | null }) {
    await publishEvent(outbox, tx, {
      type, entityType, entityId: e.id, version: e.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString(),
    });
  }

  /** undefined: not mentioned; null: no release; else the release id. */
  async function resolveRelease(tx: Tx, input: { releaseId?: string | null; release?: string | null }): Promise<string | null | undefined> {
    if (input.releaseId !== undefined && input.release !== undefined) {
      throw new Invalid('conflicting_fields', 'Send either releaseId or release, not both.', [{ path: 'release', message: 'conflicts with releaseId' }]);
    }
    const ref = input.releaseId !== undefined ? input.releaseId : input.release;
    if (ref === undefined || ref === null) return ref;
    const found = await repo.findRelease(tx, ref);
    if (!found) {
      const path = input.releaseId !== undefined ? 'releaseId' : 'release';
      throw new Invalid('unknown_reference', `The release '${ref}' does not exist.`, [{ path, message: 'no such release' }]);
    }
    return found.id;
  }

  /**
   * The scope side of a change: records additions and removals (scope creep once a release is
   * planned), re-evaluates the gates that depend on the scope, and publishes release.scope_changed.
   */
  async function afterScopeChange(tx: Tx, actor: Actor, itemId: string | null, from: string | null, to: string | null, releases: ReleaseInfo[], contentChanged: boolean) {
    const byId = new Map(releases.map((r) => [r.id, r]));
    const now = clock.now();
    if (from !== to) {
      for (const [releaseId, change] of [[from, 'removed'], [to, 'added']] as const) {
        const release = releaseId ? byId.get(releaseId) : undefined;
        if (!release) continue;
        await repo.recordScopeChange(tx, { id: newId(), release_id: release.id, work_item_id: itemId, change, scope_creep: isScopeCreep(release), actor_id: actor.id, at: now });
        await emit(tx, actor, 'release.scope_changed', 'release', { id: release.id, version: null });
      }
    }
    const affected = from !== to ? [from, to] : contentChanged ? [to] : [];
    for (const releaseId of new Set(affected)) if (releaseId && byId.has(releaseId)) await deps.gates.reevaluateRelease(tx, actor, releaseId);
  }

  async function insertNew(tx: Tx, actor: Actor, source: string, externalKey: string, values: WorkItemValues): Promise<WorkItem | null> {
    const releases = values.release_id ? await repo.lockReleases(tx, [values.release_id]) : [];
    const id = newId();
    if (!(await repo.insertIfAbsent(tx, id, source, externalKey, values, clock.now()))) return null;
    const created = present((await repo.find(tx, id))!);
    await afterScopeChange(tx, actor, id, null, values.release_id, releases, true);
    await emit(tx, actor, 'work_item.created', 'work_item', created);
    await audit.record(tx, actor, { action: 'work_item.created', entityType: 'work_item', entityId: id, after: auditView(created) });
    return created;
  }

  async function applyUpdate(tx: Tx, actor: Actor, locked: { id: string; version: number; release_id: string | null }, values: Partial<WorkItemValues>): Promise<WorkItem> {
    const before = present((await repo.find(tx, locked.id))!);
    const current: Record<string, unknown> = {
      url: before.url, type: before.type, title: before.title, status_category: before.statusCategory, status: before.status,
      assignee: before.assignee, blocking: before.blocking, release_id: locked.release_id,
    };
    const changes = Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== undefined && current[k] !== v)) as Partial<WorkItemValues>;
    if (Object.keys(changes).length === 0) return before;
    const to = changes.release_id !== undefined ? changes.release_id : locked.release_id;
    const releases = await repo.lockReleases(tx, [locked.release_id, to].filter((x): x is string => x !== null));
    await repo.update(tx, locked.id, changes, clock.now());
    const after = present((await repo.find(tx, locked.id))!);
    const contentChanged = changes.status_category !== undefined || changes.blocking !== undefined;
    await afterScopeChange(tx, actor, locked.id, locked.release_id, to, releases, contentChanged);
    await emit(tx, actor, 'work_item.updated', 'work_item', after);
    await audit.record(tx, actor, { action: 'work_item.updated', entityType: 'work_item', entityId: locked.id, before: auditView(before), after: auditView(after) });
    return after;
  }

  function valuesOf(input: WorkItemUpsert, releaseId: string | null | undefined): Partial<WorkItemValues> {
    return {
      url: input.url, type: input.type, title: input.title, status_category: input.statusCategory, status: input.status,
      assignee: input.assignee, blocking: input.blocking, release_id: releaseId,
    };
  }

  async function releaseOrThrow(ref: string): Promise<ReleaseInfo> {
    const release = await repo.findRelease(db, ref);
    if (!release) throw new NotFound('Release', ref);
    return release;
  }

  return {
    async list(actor: Actor, query: WorkItemListQuery): Promise<Page<WorkItem>> {
      assertCan(actor, 'work_item:read');
      let releaseId: string | null | undefined;
      if (query.release === 'none') releaseId = null;
      else if (query.release) {
        const release = await repo.findRelease(db, query.release);
        if (!release) return { items: [], nextCursor: null };
        releaseId = release.id;
      }
      const cursor = cursorFor(query.cursor, query.sort.field);
      const rows = await repo.list(db, {
        limit: query.limit, sort: query.sort, cursor, releaseId, statusCategory: query.statusCategory, source: query.source, type: query.type, blocking: query.blocking, q: query.q,
      });
      const sortValue = (r: WorkItemRow) => ({ externalKey: r.external_key, title: r.title, updatedAt: r.updated_at.toISOString() })[query.sort.field];
      return toPage(rows, query.limit, (r) => ({ k: sortValue(r), id: r.id, s: query.sort.field }), present);
    },

    async get(actor: Actor, id: string): Promise<WorkItem> {
      assertCan(actor, 'work_item:read');
      const row = await repo.find(db, id);
      if (!row) throw new NotFound('Work item', id);
      return present(row);
    },

    async create(actor: Actor, input: WorkItemCreate): Promise<WorkItem> {
      assertCan(actor, 'work_item:write');
      return db.transaction().execute(async (tx) => {
        const releaseId = (await resolveRelease(tx, input)) ?? null;
        const values: WorkItemValues = {
          url: input.url ?? null, type: input.type, title: input.title, status_category: input.statusCategory, status: input.status ?? '',
          assignee: input.assignee ?? null, blocking: input.blocking ?? false, release_id: releaseId,
        };
        const created = await insertNew(tx, actor, input.source, input.externalKey, values);
        if (!created) {
          throw new Conflict('duplicate_key', `A work item '${input.externalKey}' from '${input.source}' already exists: update it, or upsert with PUT /api/v1/work-items/by-key/{source}/{externalKey}.`, {
            errors: [{ path: 'externalKey', message: 'already exists for this source' }],
          });
        }
        return created;
      });
    },

    /** Create or update by (source, externalKey): what connectors use. Fields left out keep their value. */
    async upsert(actor: Actor, source: string, externalKey: string, input: WorkItemUpsert, ifMatch?: number | '*'): Promise<{ created: boolean; item: WorkItem }> {
      assertCan(actor, 'work_item:write');
      return db.transaction().execute(async (tx) => {
        const releaseId = await resolveRelease(tx, input);
        let locked = await repo.lockByKey(tx, source, externalKey);
        if (!locked) {
          if (typeof ifMatch === 'number') throw new PreconditionFailed(`The work item '${externalKey}' from '${source}' does not exist, so it cannot match version ${ifMatch}.`);
          const values: WorkItemValues = {
            url: input.url ?? null, type: input.type, title: input.title, status_category: input.statusCategory, status: input.status ?? '',
            assignee: input.assignee ?? null, blocking: input.blocking ?? false, release_id: releaseId ?? null,
          };
          const created = await insertNew(tx, actor, source, externalKey, values);
          if (created) return { created: true, item: created };
          // a concurrent upsert inserted it first: update that row instead
          locked = (await repo.lockByKey(tx, source, externalKey))!;
        }
        assertVersion(ifMatch, locked.version, 'The work item');
        return { created: false, item: await applyUpdate(tx, actor, locked, valuesOf(input, releaseId)) };
      });
    },

    async update(actor: Actor, id: string, patch: WorkItemPatch, ifMatch?: number | '*'): Promise<WorkItem> {
      assertCan(actor, 'work_item:write');
      return db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, id);
        if (!locked) throw new NotFound('Work item', id);
        assertVersion(ifMatch, locked.version, 'The work item');
        const releaseId = await resolveRelease(tx, patch);
        const values: Partial<WorkItemValues> = {
          url: patch.url, type: patch.type, title: patch.title, status_category: patch.statusCategory,
          status: patch.status === null ? '' : patch.status, assignee: patch.assignee,
          blocking: patch.blocking === null ? false : patch.blocking, release_id: releaseId,
        };
        return applyUpdate(tx, actor, locked, values);
      });
    },

    async remove(actor: Actor, id: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'work_item:write');
      await db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, id);
        if (!locked) throw new NotFound('Work item', id);
        assertVersion(ifMatch, locked.version, 'The work item');
        const before = present((await repo.find(tx, locked.id))!);
        const releases = locked.release_id ? await repo.lockReleases(tx, [locked.release_id]) : [];
        await repo.delete(tx, locked.id);
        // the item is gone: the scope change keeps the release side (the audit event keeps the item)
        await afterScopeChange(tx, actor, null, locked.release_id, null, releases, false);
        await emit(tx, actor, 'work_item.deleted', 'work_item', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'work_item.deleted', entityType: 'work_item', entityId: locked.id, before: auditView(before) });
      });
    },

    async scope(actor: Actor, ref: string): Promise<ReleaseScope> {
      assertCan(actor, 'release:read');
      const release = await releaseOrThrow(ref);
      const [counts, items, creep] = await Promise.all([
        repo.scopeCounts(db, release.id), repo.scopeItems(db, release.id, SCOPE_GROUP_LIMIT), repo.scopeCreep(db, release.id, 500),
      ]);
      const item = (r: WorkItemRow) => ({
        id: r.id, source: r.source, externalKey: r.external_key, url: r.url, type: r.type, title: r.title, status: r.status, assignee: r.assignee, blocking: r.blocking,
      });
      return {
        release: { id: release.id, key: release.key, name: release.name, status: release.status, plannedAt: release.planned_at?.toISOString() ?? null },
        counts,
        groups: {
          todo: items.filter((i) => i.status_category === 'todo').map(item),
          inProgress: items.filter((i) => i.status_category === 'in_progress').map(item),
          done: items.filter((i) => i.status_category === 'done').map(item),
        },
        truncated: Math.max(counts.todo, counts.inProgress, counts.done) > SCOPE_GROUP_LIMIT,
        scopeCreep: creep.map((c) => ({
          change: c.change,
          at: c.at.toISOString(),
          actor: c.actor_id ? { id: c.actor_id, name: c.actor_name ?? '' } : null,
          workItem: c.wi_id ? { id: c.wi_id, source: c.source!, externalKey: c.external_key!, title: c.title! } : null,
        })),
      };
    },

    async notes(actor: Actor, ref: string): Promise<ReleaseNotes> {
      assertCan(actor, 'release:read');
      const release = await releaseOrThrow(ref);
      const rows = await repo.notesItems(db, release.id, NOTES_LIMIT);
      const types = [...new Set(rows.map((r) => r.type))].sort((a, b) => {
        const ia = TYPE_ORDER.indexOf(a);
        const ib = TYPE_ORDER.indexOf(b);
        if (ia !== -1 || ib !== -1) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
        return a < b ? -1 : a > b ? 1 : 0;
      });
      return {
        release: { id: release.id, key: release.key, name: release.name, version: release.release_version, status: release.status },
        sections: types.map((type) => ({
          type,
          title: sectionTitle(type),
          items: rows.filter((r) => r.type === type).map((r) => ({ source: r.source, externalKey: r.external_key, title: r.title, url: r.url, done: r.status_category === 'done' })),
        })),
      };
    },
  };
}

export type WorkItemsService = ReturnType<typeof createWorkItemsService>;
