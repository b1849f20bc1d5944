import type { Db, Tx } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Clock } from '../../lib/clock.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { cursorFor } from '../../lib/keyset.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { ReleaseTemplateRow, ReleaseTemplatesRepo } from './release-templates.repo.js';
import type { ReleaseTemplate, ReleaseTemplateCreate, ReleaseTemplateListQuery, ReleaseTemplatePatch, TemplateDefinition } from './release-templates.schemas.js';

export function presentTemplate(row: ReleaseTemplateRow): ReleaseTemplate {
  return {
    id: row.id, key: row.key, name: row.name, description: row.description, templateVersion: row.template_version,
    definition: row.definition, version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

const auditView = (t: ReleaseTemplate) => ({ key: t.key, name: t.name, description: t.description, templateVersion: t.templateVersion, definition: t.definition });

/** The rules zod cannot check alone: unique keys, gates after existing phases, environments and teams that exist. */
async function checkDefinition(tx: Tx, repo: ReleaseTemplatesRepo, def: TemplateDefinition): Promise<void> {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  def.phases.forEach((p, i) => {
    if (seen.has(p.key)) errors.push({ path: `definition.phases.${i}.key`, message: `duplicate phase key '${p.key}'` });
    seen.add(p.key);
  });
  const gateKeys = new Set<string>();
  (def.gates ?? []).forEach((g, i) => {
    if (gateKeys.has(g.key)) errors.push({ path: `definition.gates.${i}.key`, message: `duplicate gate key '${g.key}'` });
    gateKeys.add(g.key);
    if (g.afterPhase && !seen.has(g.afterPhase)) errors.push({ path: `definition.gates.${i}.afterPhase`, message: `no phase '${g.afterPhase}' in this template` });
  });
  const envKeys = [...new Set(def.phases.flatMap((p) => p.environments ?? []))];
  const teamKeys = [...new Set((def.gates ?? []).flatMap((g) => (g.approverTeam ? [g.approverTeam] : [])))];
  const missing = await repo.missingKeys(tx, envKeys, teamKeys);
  def.phases.forEach((p, i) => {
    for (const e of p.environments ?? []) if (missing.environments.includes(e)) errors.push({ path: `definition.phases.${i}.environments`, message: `no environment '${e}'` });
  });
  (def.gates ?? []).forEach((g, i) => {
    if (g.approverTeam && missing.teams.includes(g.approverTeam)) errors.push({ path: `definition.gates.${i}.approverTeam`, message: `no team '${g.approverTeam}'` });
  });
  if (errors.length) {
    throw new Invalid('invalid_definition', `The template definition is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
  }
}

export interface ReleaseTemplatesDeps {
  db: Db;
  repo: ReleaseTemplatesRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

export function createReleaseTemplatesService(deps: ReleaseTemplatesDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, t: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'release_template', entityId: t.id, version: t.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  return {
    async list(actor: Actor, query: ReleaseTemplateListQuery): Promise<Page<ReleaseTemplate>> {
      assertCan(actor, 'release_template:read');
      const cursor = cursorFor(query.cursor, 'key');
      const rows = await repo.list(db, { limit: query.limit, cursor, q: query.q });
      return toPage(rows, query.limit, (r) => ({ k: r.key, id: r.id, s: 'key' }), presentTemplate);
    },

    async get(actor: Actor, ref: string): Promise<ReleaseTemplate> {
      assertCan(actor, 'release_template:read');
      const row = await repo.find(db, ref);
      if (!row) throw new NotFound('Release template', ref);
      return presentTemplate(row);
    },

    async create(actor: Actor, input: ReleaseTemplateCreate): Promise<ReleaseTemplate> {
      assertCan(actor, 'release_template:write');
      return db.transaction().execute(async (tx) => {
        await checkDefinition(tx, repo, input.definition);
        const id = newId();
        try {
          await repo.insert(tx, { id, key: input.key, name: input.name, description: input.description ?? '', definition: input.definition }, actor.id, clock.now());
        } catch (err) {
          if (isUniqueViolation(err, 'release_templates_key_key')) {
            throw new Conflict('duplicate_key', `A release template with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
          }
          throw err;
        }
        const created = presentTemplate((await repo.find(tx, id))!);
        await emit(tx, actor, 'release_template.created', created);
        await audit.record(tx, actor, { action: 'release_template.created', entityType: 'release_template', entityId: id, after: auditView(created) });
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: ReleaseTemplatePatch, ifMatch?: number | '*'): Promise<ReleaseTemplate> {
      assertCan(actor, 'release_template:write');
      return db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Release template', ref);
        assertVersion(ifMatch, locked.version, 'The release template');
        const before = presentTemplate(locked);
        const values: { name?: string; description?: string } = {};
        if (patch.name !== undefined) values.name = patch.name;
        if (patch.description !== undefined) values.description = patch.description ?? '';
        // only a real change of the definition makes a new template version
        const newDefinition = patch.definition !== undefined && canonicalJson(patch.definition) !== canonicalJson(locked.definition) ? patch.definition : undefined;
        if (newDefinition) await checkDefinition(tx, repo, newDefinition);
        if (Object.keys(values).length === 0 && !newDefinition) return before;
        const now = clock.now();
        await repo.update(tx, locked.id, values, now);
        if (newDefinition) await repo.saveDefinition(tx, locked.id, locked.template_version + 1, newDefinition, actor.id, now);
        const after = presentTemplate((await repo.find(tx, locked.id))!);
        await emit(tx, actor, 'release_template.updated', after);
        await audit.record(tx, actor, { action: 'release_template.updated', entityType: 'release_template', entityId: locked.id, before: auditView(before), after: auditView(after) });
        return after;
      });
    },

    /**
     * Deleting a template is allowed even when releases were made from it: a release holds its own
     * copy of phases and gates, keeps `templateVersion`, and its `templateId` becomes null.
     */
    async remove(actor: Actor, ref: string, ifMatch?: number | '*'): Promise<void> {
      assertCan(actor, 'release_template:write');
      await db.transaction().execute(async (tx) => {
        const locked = await repo.lock(tx, ref);
        if (!locked) throw new NotFound('Release template', ref);
        assertVersion(ifMatch, locked.version, 'The release template');
        await repo.delete(tx, locked.id);
        await emit(tx, actor, 'release_template.deleted', { id: locked.id, version: locked.version + 1 });
        await audit.record(tx, actor, { action: 'release_template.deleted', entityType: 'release_template', entityId: locked.id, before: auditView(presentTemplate(locked)) });
      });
    },
  };
}

export type ReleaseTemplatesService = ReturnType<typeof createReleaseTemplatesService>;
