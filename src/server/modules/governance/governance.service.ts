import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { sql } from 'kysely';
import { parse as parseYaml } from 'yaml';
import type { PolicyFormat, PolicyStatus } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Db, Executor, Tx } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import { isUuid, newId } from '../../lib/ids.js';
import { publishEvent, type Outbox } from '../../jobs/outbox.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, type Actor } from '../identity/permissions.js';
import { decide, groupReferences, type PolicyFacts } from './decide.js';
import { POLICY_SCHEMA, type EnvironmentTier, type PolicyDocument } from './policy-document.js';
import type { BacktestInput, BacktestResult, EvaluateInput, Evaluation, GovernanceProfile, PolicyInput, PolicyValidateInput, PolicyValidation, PolicyVersion, ProfileCreate } from './governance.schemas.js';

const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
const validateDocument = ajv.compile<PolicyDocument>(POLICY_SCHEMA);
const pointerPart = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function schemaErrors(errors: ErrorObject[]): FieldError[] {
  const out = new Map<string, FieldError>();
  for (const e of errors) {
    let path = e.instancePath;
    if (e.keyword === 'additionalProperties') path += `/${pointerPart(String(e.params.additionalProperty))}`;
    if (e.keyword === 'required') path += `/${pointerPart(String(e.params.missingProperty))}`;
    const message = e.keyword === 'additionalProperties' ? 'is not allowed here' : e.keyword === 'required' ? 'is required' : (e.message ?? 'is not valid');
    const key = `${path}|${message}`;
    if (!out.has(key)) out.set(key, { path: path || '/', message });
  }
  return [...out.values()];
}

const invalid = (errors: FieldError[]) =>
  new Invalid('invalid_policy', `The policy document is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);

/** Far beyond any real policy (conditions nest all/any a few levels), far below a stack overflow. */
const MAX_POLICY_DEPTH = 64;

/** Nesting depth of parsed JSON/YAML, iteratively (a recursive walk would overflow on the input it guards against). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_POLICY_DEPTH) return max;
    for (const child of Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

/** Parses and validates a policy source against the published schema; unknown groups are checked by the caller. */
export function parsePolicy(format: PolicyFormat, source: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(source) : parseYaml(source, { maxAliasCount: 100 });
  } catch (err) {
    throw new Invalid('invalid_policy_source', `The policy source is not valid ${format.toUpperCase()}: ${(err as Error).message}`, [{ path: '/', message: (err as Error).message }]);
  }
  // schema validation recurses per nesting level: refuse absurd depth before it overflows the stack
  if (depthOf(doc) > MAX_POLICY_DEPTH) throw invalid([{ path: '/', message: `is nested too deeply (more than ${MAX_POLICY_DEPTH} levels)` }]);
  if (!validateDocument(doc)) throw invalid(schemaErrors(validateDocument.errors ?? []));
  const seen = new Set<string>();
  const dup: FieldError[] = [];
  doc.rules.forEach((r, i) => {
    if (seen.has(r.id)) dup.push({ path: `/rules/${i}/id`, message: `duplicate rule id '${r.id}'` });
    seen.add(r.id);
  });
  if (dup.length) throw invalid(dup);
  return doc;
}

interface ProfileRow { id: string; key: string; name: string; description: string; current_version: number | null; version: number; created_at: Date; updated_at: Date }
interface VersionRow { version: number; format: PolicyFormat; status: PolicyStatus; source: string; document: unknown; created_by: string | null; created_at: Date }

const presentVersion = (key: string, v: VersionRow): PolicyVersion => ({
  profile: key, version: v.version, format: v.format, status: v.status, source: v.source, document: v.document, createdBy: v.created_by, createdAt: v.created_at.toISOString(),
});

const ENV_RANK: EnvironmentTier[] = ['production', 'staging', 'testing', 'development'];
const DAY = 86_400_000;

export interface GovernanceDeps { db: Db; audit: AuditService; outbox: Outbox; clock: Clock }

export function createGovernanceService(deps: GovernanceDeps) {
  const { db, audit, outbox, clock } = deps;

  const findProfile = async (ex: Executor, key: string, lock = false): Promise<ProfileRow | undefined> => {
    let q = ex.selectFrom('governance_profiles').selectAll().where('key', '=', key);
    if (lock) q = q.forUpdate();
    return (await q.executeTakeFirst()) as ProfileRow | undefined;
  };
  const versionsOf = async (ex: Executor, profileId: string) =>
    (await ex.selectFrom('policy_versions').select(['version', 'format', 'status', 'source', 'document', 'created_by', 'created_at']).where('profile_id', '=', profileId).orderBy('version').execute()) as VersionRow[];

  async function present(ex: Executor, p: ProfileRow): Promise<GovernanceProfile> {
    const versions = await versionsOf(ex, p.id);
    const active = versions.find((v) => v.version === p.current_version);
    const services = await ex.selectFrom('services').select('key').where('governance_profile', '=', p.key).orderBy('key').execute();
    return {
      id: p.id, key: p.key, name: p.name, description: p.description, currentVersion: p.current_version, latestVersion: versions.at(-1)?.version ?? null,
      policy: active ? presentVersion(p.key, active) : null, services: services.map((s) => s.key), version: p.version, createdAt: p.created_at.toISOString(), updatedAt: p.updated_at.toISOString(),
    };
  }

  async function checkGroups(ex: Executor, doc: PolicyDocument): Promise<void> {
    const refs = groupReferences(doc);
    if (!refs.length) return;
    const keys = [...new Set(refs.map((r) => r.group))];
    const found = new Set((await ex.selectFrom('approver_groups').select('key').where('key', 'in', keys).execute()).map((r) => r.key));
    const errors = refs.filter((r) => !found.has(r.group)).map((r) => ({ path: r.path, message: `no approver group '${r.group}'` }));
    if (errors.length) throw new Invalid('unknown_approver_group', `The policy names approver groups that do not exist: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors);
  }

  async function emit(tx: Tx, actor: Actor, type: string, p: { id: string; version: number }) {
    await publishEvent(outbox, tx, { type, entityType: 'governance_profile', entityId: p.id, version: p.version, actorId: actor.id, requestId: actor.requestId, at: clock.now().toISOString() });
  }

  async function activateIn(tx: Tx, p: ProfileRow, n: number, now: Date) {
    await tx.updateTable('policy_versions').set({ status: 'retired' }).where('profile_id', '=', p.id).where('status', '=', 'active').execute();
    await tx.updateTable('policy_versions').set({ status: 'active' }).where('profile_id', '=', p.id).where('version', '=', n).execute();
    await tx.updateTable('governance_profiles').set((eb) => ({ current_version: n, updated_at: now, version: eb('version', '+', 1) })).where('id', '=', p.id).execute();
  }

  async function addVersion(tx: Tx, actor: Actor, p: ProfileRow, input: PolicyInput): Promise<number> {
    const doc = parsePolicy(input.format, input.source);
    await checkGroups(tx, doc);
    const last = await tx.selectFrom('policy_versions').select((eb) => eb.fn.max('version').as('v')).where('profile_id', '=', p.id).executeTakeFirst();
    const n = Number(last?.v ?? 0) + 1;
    const now = clock.now();
    await tx.insertInto('policy_versions').values({ profile_id: p.id, version: n, format: input.format, source: input.source, document: JSON.stringify(doc), status: 'draft', created_by: actor.id, created_at: now }).execute();
    if (input.activate) await activateIn(tx, p, n, now);
    else await tx.updateTable('governance_profiles').set((eb) => ({ updated_at: now, version: eb('version', '+', 1) })).where('id', '=', p.id).execute();
    await audit.record(tx, actor, { action: 'policy.version_created', entityType: 'governance_profile', entityId: p.id, after: { profile: p.key, version: n, format: input.format, activated: Boolean(input.activate), document: doc } });
    return n;
  }

  /** The document of a version: the given one, or the active one. */
  async function documentOf(ex: Executor, p: ProfileRow, version?: number): Promise<{ version: number; document: PolicyDocument }> {
    const n = version ?? p.current_version;
    if (n === null || n === undefined) throw new Invalid('no_active_policy', `The governance profile '${p.key}' has no active policy version.`, [{ path: 'version', message: 'no active version' }]);
    const row = await ex.selectFrom('policy_versions').select(['version', 'document']).where('profile_id', '=', p.id).where('version', '=', n).executeTakeFirst();
    if (!row) throw new NotFound('Policy version', `${p.key}/${n}`);
    return { version: row.version, document: row.document as PolicyDocument };
  }

  return {
    schema: () => POLICY_SCHEMA,

    async list(actor: Actor): Promise<{ items: GovernanceProfile[] }> {
      assertCan(actor, 'policy:read');
      const rows = (await db.selectFrom('governance_profiles').selectAll().orderBy('key').execute()) as ProfileRow[];
      return { items: await Promise.all(rows.map((r) => present(db, r))) };
    },

    async get(actor: Actor, key: string): Promise<GovernanceProfile> {
      assertCan(actor, 'policy:read');
      const p = await findProfile(db, key);
      if (!p) throw new NotFound('Governance profile', key);
      return present(db, p);
    },

    async create(actor: Actor, input: ProfileCreate): Promise<GovernanceProfile> {
      assertCan(actor, 'policy:write');
      return db.transaction().execute(async (tx) => {
        const id = newId();
        const now = clock.now();
        try {
          await tx.insertInto('governance_profiles').values({ id, key: input.key, name: input.name, description: input.description ?? '', current_version: null, created_at: now, updated_at: now }).execute();
        } catch (err) {
          if (isUniqueViolation(err, 'governance_profiles_key_key')) throw new Conflict('duplicate_key', `A governance profile with the key '${input.key}' already exists.`, { errors: [{ path: 'key', message: 'already taken' }] });
          throw err;
        }
        await audit.record(tx, actor, { action: 'governance_profile.created', entityType: 'governance_profile', entityId: id, after: { key: input.key, name: input.name, description: input.description ?? '' } });
        if (input.policy) await addVersion(tx, actor, (await findProfile(tx, input.key))!, input.policy);
        const p = (await findProfile(tx, input.key))!;
        await emit(tx, actor, 'governance_profile.created', p);
        return present(tx, p);
      });
    },

    async addPolicy(actor: Actor, key: string, input: PolicyInput): Promise<PolicyVersion> {
      assertCan(actor, 'policy:write');
      return db.transaction().execute(async (tx) => {
        const p = await findProfile(tx, key, true);
        if (!p) throw new NotFound('Governance profile', key);
        const n = await addVersion(tx, actor, p, input);
        const after = (await findProfile(tx, key))!;
        await emit(tx, actor, 'governance_profile.updated', after);
        return presentVersion(key, (await versionsOf(tx, p.id)).find((v) => v.version === n)!);
      });
    },

    /** The checks of addPolicy without saving: editors call it while writing, so problems are an answer, not an error. */
    async validate(actor: Actor, input: PolicyValidateInput): Promise<PolicyValidation> {
      assertCan(actor, 'policy:read');
      try {
        const doc = parsePolicy(input.format, input.source);
        await checkGroups(db, doc);
        return { valid: true, errors: [], document: doc as unknown as Record<string, unknown> };
      } catch (err) {
        if (err instanceof Invalid) return { valid: false, errors: err.errors ?? [] };
        throw err;
      }
    },

    async versions(actor: Actor, key: string): Promise<{ items: PolicyVersion[] }> {
      assertCan(actor, 'policy:read');
      const p = await findProfile(db, key);
      if (!p) throw new NotFound('Governance profile', key);
      return { items: (await versionsOf(db, p.id)).map((v) => presentVersion(key, v)) };
    },

    async activate(actor: Actor, key: string, n: number): Promise<PolicyVersion> {
      assertCan(actor, 'policy:write');
      return db.transaction().execute(async (tx) => {
        const p = await findProfile(tx, key, true);
        if (!p) throw new NotFound('Governance profile', key);
        const v = (await versionsOf(tx, p.id)).find((x) => x.version === n);
        if (!v) throw new NotFound('Policy version', `${key}/${n}`);
        if (v.status !== 'active') {
          // groups may have been removed since the version was saved
          await checkGroups(tx, v.document as PolicyDocument);
          await activateIn(tx, p, n, clock.now());
          await audit.record(tx, actor, { action: 'policy.activated', entityType: 'governance_profile', entityId: p.id, before: { version: p.current_version }, after: { version: n } });
          await emit(tx, actor, 'governance_profile.updated', (await findProfile(tx, key))!);
        }
        return presentVersion(key, (await versionsOf(tx, p.id)).find((x) => x.version === n)!);
      });
    },

    async evaluate(actor: Actor, input: EvaluateInput): Promise<Evaluation> {
      assertCan(actor, 'policy:read');
      const facts: PolicyFacts = {
        changeType: input.changeType, riskLevel: input.riskLevel, riskScore: input.riskScore, environmentTier: input.environmentTier, serviceTier: input.serviceTier,
        testsPassed: input.testsPassed, changeFailureRate90d: input.changeFailureRate90d, emergency: input.emergency,
      };
      let profileKey = input.profile;
      if (input.service) {
        const ref = input.service;
        const s = await db.selectFrom('services').select(['id', 'tier', 'governance_profile']).where((eb) => (isUuid(ref) ? eb.or([eb('key', '=', ref), eb('id', '=', ref)]) : eb('key', '=', ref))).executeTakeFirst();
        if (!s) throw new Invalid('unknown_service', `There is no service '${ref}'.`, [{ path: 'service', message: 'no such service' }]);
        facts.serviceTier ??= s.tier;
        profileKey ??= s.governance_profile ?? undefined;
        if (facts.changeFailureRate90d === undefined) {
          const since = new Date(clock.now().getTime() - 90 * DAY);
          // the same definition as the risk factor: closed changes, by the outcome stored on their service links
          const row = await db.selectFrom('change_services as cs')
            .select((eb) => [eb.fn.countAll<string>().as('closed'), eb.fn.count<string>(sql`case when cs.unsuccessful then 1 end`).as('failed')])
            .where('cs.service_id', '=', s.id).where('cs.closed_at', '>=', since).executeTakeFirst();
          const closed = Number(row?.closed ?? 0);
          if (closed) facts.changeFailureRate90d = Number(row!.failed) / closed;
        }
      }
      if (input.environment) {
        const ref = input.environment;
        const e = await db.selectFrom('environments').select(['tier']).where((eb) => (isUuid(ref) ? eb.or([eb('key', '=', ref), eb('id', '=', ref)]) : eb('key', '=', ref))).executeTakeFirst();
        if (!e) throw new Invalid('unknown_environment', `There is no environment '${ref}'.`, [{ path: 'environment', message: 'no such environment' }]);
        facts.environmentTier ??= e.tier;
      }
      if (!profileKey) throw new Invalid('profile_required', 'Name a governance profile, or a service that has one.', [{ path: 'profile', message: 'required when the service has no profile' }]);
      const p = await findProfile(db, profileKey);
      if (!p) throw new Invalid('unknown_profile', `There is no governance profile '${profileKey}'.`, [{ path: input.profile ? 'profile' : 'service', message: `no governance profile '${profileKey}'` }]);
      const { version, document } = await documentOf(db, p, input.version);
      const { decision, explanation } = decide(facts, document);
      return { profile: p.key, version, decision, explanation: { ...explanation, riskFactors: input.riskFactors ?? [] } };
    },

    async backtest(actor: Actor, key: string, input: BacktestInput): Promise<BacktestResult> {
      assertCan(actor, 'policy:read');
      const p = await findProfile(db, key);
      if (!p) throw new NotFound('Governance profile', key);
      const from = new Date(input.from);
      const to = new Date(input.to);
      if (!(from < to)) throw new Invalid('invalid_period', '`from` must be before `to`.', [{ path: 'to', message: 'must be after from' }]);
      const latest = (await versionsOf(db, p.id)).at(-1);
      const { version, document } = await documentOf(db, p, input.version ?? latest?.version);
      const { rows } = await sql<{ number: string; type: 'standard' | 'normal' | 'emergency'; risk_level: string | null; risk_score: number | null; close_code: string | null; service_tier: number | null; env_tiers: string | null; closed90: string; failed90: string }>`
        select c.number, c.type, c.risk_level, c.risk_score, c.close_code,
          (select min(s.tier) from change_services cs join services s on s.id = cs.service_id where cs.change_id = c.id) as service_tier,
          (select string_agg(distinct e.tier, ',') from change_environments ce join environments e on e.id = ce.environment_id where ce.change_id = c.id) as env_tiers,
          coalesce(h.closed, 0)::text as closed90, coalesce(h.failed, 0)::text as failed90
        from change_requests c
        left join lateral (
          select count(*) as closed, count(*) filter (where p.close_code = 'unsuccessful') as failed
          from change_requests p
          where p.id <> c.id and p.close_code is not null
            and coalesce(p.actual_end, p.updated_at) >= c.created_at - interval '90 days' and coalesce(p.actual_end, p.updated_at) < c.created_at
            and exists (select 1 from change_services a join change_services b on a.service_id = b.service_id where a.change_id = p.id and b.change_id = c.id)
        ) h on true
        where c.created_at >= ${from} and c.created_at < ${to}
          and exists (select 1 from change_services cs join services s on s.id = cs.service_id where cs.change_id = c.id and s.governance_profile = ${key})
        order by c.created_at, c.number`.execute(db);
      const group = () => ({ count: 0, closed: 0, unsuccessful: 0, failureRate: null as number | null });
      const out: BacktestResult = { profile: key, version, from: from.toISOString(), to: to.toISOString(), total: rows.length, autoApprove: group(), approvals: group(), block: group(), neither: group(), changes: [] };
      for (const r of rows) {
        const tiers = (r.env_tiers ?? '').split(',').filter(Boolean) as EnvironmentTier[];
        const closed90 = Number(r.closed90);
        const { decision, explanation } = decide({
          changeType: r.type, riskLevel: r.risk_level as PolicyFacts['riskLevel'], riskScore: r.risk_score, serviceTier: r.service_tier === null ? null : Number(r.service_tier),
          environmentTier: ENV_RANK.find((t) => tiers.includes(t)) ?? null, changeFailureRate90d: closed90 ? Number(r.failed90) / closed90 : null, testsPassed: null,
        }, document);
        const outcome = decision.block ? 'block' : decision.autoApprove ? 'autoApprove' : decision.approvals.length ? 'approvals' : 'neither';
        const g = out[outcome];
        g.count++;
        if (r.close_code) {
          g.closed++;
          if (r.close_code === 'unsuccessful') g.unsuccessful++;
        }
        out.changes.push({ number: r.number, outcome, closeCode: r.close_code, fired: explanation.fired });
      }
      for (const g of [out.autoApprove, out.approvals, out.block, out.neither]) g.failureRate = g.closed ? g.unsuccessful / g.closed : null;
      return out;
    },
  };
}

export type GovernanceService = ReturnType<typeof createGovernanceService>;
