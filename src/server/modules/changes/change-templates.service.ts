import type { Db, Tx } from '../../db/tx.js';
import { isUniqueViolation } from '../../db/errors.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import type { Clock } from '../../lib/clock.js';
import { toPage, type Page } from '../../lib/cursor.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { cursorFor } from '../../lib/keyset.js';
import { assertVersion } from '../../lib/versioning.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import type { ChangesRepo, TemplateRow } from './changes.repo.js';
import type { ChangeTemplate, ChangeTemplateCreate, ChangeTemplateListQuery, ChangeTemplatePatch, TemplateDefinition } from './changes.schemas.js';

export function presentTemplate(row: TemplateRow): ChangeTemplate {
  return {
    id: row.id, key: row.key, name: row.name, description: row.description, active: row.active, templateVersion: row.current_version,
    definition: row.definition, version: row.version, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString(),
  };
}

const auditView = (t: ChangeTemplate) => ({ key: t.key, name: t.name, description: t.description, active: t.active, templateVersion: t.templateVersion, definition: t.definition });
const canonical = (d: TemplateDefinition) => canonicalJson(d);

export interface ChangeTemplatesDeps {
  db: Db;
  repo: ChangesRepo;
  audit: AuditService;
  outbox: Outbox;
  clock: Clock;
}

/** Standard change templates: pre-approved definitions, versioned; a change records the version it was made from. */
export function createChangeTemplatesService(deps: ChangeTemplatesDeps) {
  const { db, repo, audit, outbox, clock } = deps;

  async function emit(tx: Tx, actor: Actor, type: string, t: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'change_template', entityId: t.id, version: t.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  /** The scope names catalogue keys: they must exist when the definition is saved. */
  async function assertDefinition(tx: Tx, def: TemplateDefinition) {
    const errors: FieldError[] = [];
    const services = await repo.resolveServices(tx, [...new Set(def.services)]);
    for (const m of services.missing) errors.push({ path: 'definition.services', message: `no service '${m}'` });
    const envs = await repo.resolveEnvironments(tx, [...new Set(def.environments)]);
    for (const m of envs.missing) errors.push({ path: 'definition.environments', message: `no environment '${m}'` });
    if (errors.length) throw new Invalid('unknown_reference', `The template definition names what does not exist: ${errors.map((e) => e.message).join(', ')}.`, errors);
  }

  const load = async (tx: Tx | Db, id: string) => presentTemplate((await repo.findTemplate(tx, id))!);

  return {
    async list(actor: Actor, query: ChangeTemplateListQuery): Promise<Page<ChangeTemplate>> {
      assertCan(actor, 'change:read');
      const cursor = cursorFor(query.cursor, 'key');
      const rows = await repo.listTemplates(db, { limit: query.limit, cursor, active: query.active === undefined ? undefined : query.active === 'true' });
      return toPage(rows, query.limit, (r) => ({ k: r.key, id: r.id, s: 'key' }), presentTemplate);
    },

    async get(actor: Actor, ref: string): Promise<ChangeTemplate> {
      assertCan(actor, 'change:read');
      const row = await repo.findTemplate(db, ref);
      if (!row) throw new NotFound('Change template', ref);
      return presentTemplate(row);
    },

    async create(actor: Actor, input: ChangeTemplateCreate): Promise<ChangeTemplate> {
      assertCan(actor, 'change_template:write');
      return db.transaction().execute(async (tx) => {
        await assertDefinition(tx, input.definition);
        const id = newId();
        try {
          await repo.insertTemplate(tx, { id, key: input.key, name: input.name, description: input.description ?? '', active: input.active ?? true, definition: input.definition }, actor.id, clock.now());
        } catch (err) {
          if (isUniqueViolation(err, 'change_templates_key_key')) {
            throw new Conflict('duplicate_key', `A change template with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
          }
          throw err;
        }
        const created = await load(tx, id);
        await audit.record(tx, actor, { action: 'change_template.created', entityType: 'change_template', entityId: id, after: auditView(created) });
        await emit(tx, actor, 'change_template.created', created);
        return created;
      });
    },

    async update(actor: Actor, ref: string, patch: ChangeTemplatePatch, ifMatch?: number | '*'): Promise<ChangeTemplate> {
      assertCan(actor, 'change_template:write');
      return db.transaction().execute(async (tx) => {
        const row = await repo.findTemplate(tx, ref, { forUpdate: true });
        if (!row) throw new NotFound('Change template', ref);
        assertVersion(ifMatch, row.version, 'The change template');
        const before = presentTemplate(row);
        const values: { name?: string; description?: string; active?: boolean } = {};
        if (patch.name !== undefined && patch.name !== row.name) values.name = patch.name;
        if (patch.description !== undefined && (patch.description ?? '') !== row.description) values.description = patch.description ?? '';
        if (patch.active !== undefined && patch.active !== row.active) values.active = patch.active;
        let newDefinition: { templateVersion: number; definition: TemplateDefinition } | null = null;
        if (patch.definition !== undefined && canonical(patch.definition) !== canonical(row.definition)) {
          await assertDefinition(tx, patch.definition);
          newDefinition = { templateVersion: row.current_version + 1, definition: patch.definition };
        }
        if (Object.keys(values).length === 0 && !newDefinition) return before;
        await repo.updateTemplate(tx, row.id, values, newDefinition, actor.id, clock.now());
        const after = await load(tx, row.id);
        await audit.record(tx, actor, { action: 'change_template.updated', entityType: 'change_template', entityId: row.id, before: auditView(before), after: auditView(after) });
        await emit(tx, actor, 'change_template.updated', after);
        return after;
      });
    },
  };
}

export type ChangeTemplatesService = ReturnType<typeof createChangeTemplatesService>;
