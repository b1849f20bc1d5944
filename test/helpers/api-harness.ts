import path from 'node:path';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { Db } from '../../src/server/db/tx.js';
import { startTestApp, type TestApp } from './app.js';
import type { TargetKind } from './db.js';

/**
 * Shared by the permission and fuzz tests: a test app, a cheap fingerprint of everything the
 * application writes, and the list of documented API operations.
 */

/** startTestApp with an absolute web dir (@fastify/static refuses the relative default of the helper). */
export const startApiTestApp = (kind: TargetKind): Promise<TestApp> =>
  startTestApp(kind, { config: { webDir: path.resolve('dist/web') } });

/**
 * Per table: row count and an md5 of all rows. api_tokens leaves out last_used_at, which is touched
 * fire-and-forget on use and is not a change anyone asked for. pgboss.job counts the outbox
 * (domain events), which must only grow with a committed mutation.
 */
const TABLES = {
  teams: sql`select * from teams`,
  users: sql`select * from users`,
  user_roles: sql`select * from user_roles`,
  team_members: sql`select * from team_members`,
  sessions: sql`select * from sessions`,
  api_tokens: sql`select id, user_id, name, kind, prefix, token_hash, expires_at, revoked_at, created_by, created_at from api_tokens`,
  services: sql`select * from services`,
  service_dependencies: sql`select * from service_dependencies`,
  environments: sql`select * from environments`,
  // the sealer fills chain_seq/prev_hash/hash in the background after commit: only the events count
  audit_events: sql`select seq, id, at, actor_id, action, entity_type, entity_id, diff from audit_events`,
  idempotency_keys: sql`select * from idempotency_keys`,
  rate_limits: sql`select * from rate_limits`,
  work_items: sql`select * from work_items`,
  release_scope_changes: sql`select * from release_scope_changes`,
  release_gates: sql`select * from release_gates`,
  gate_criteria: sql`select * from gate_criteria`,
  gate_signoffs: sql`select * from gate_signoffs`,
  custom_check_reports: sql`select * from custom_check_reports`,
  release_templates: sql`select * from release_templates`,
  release_template_versions: sql`select * from release_template_versions`,
  releases: sql`select * from releases`,
  release_services: sql`select * from release_services`,
  release_dependencies: sql`select * from release_dependencies`,
  release_transition_rules: sql`select * from release_transition_rules`,
  release_phases: sql`select * from release_phases`,
  release_phase_environments: sql`select * from release_phase_environments`,
  environment_bookings: sql`select * from environment_bookings`,
  time_windows: sql`select * from time_windows`,
  time_window_services: sql`select * from time_window_services`,
  time_window_environments: sql`select * from time_window_environments`,
  time_window_overrides: sql`select * from time_window_overrides`,
  time_window_state: sql`select * from time_window_state`,
  change_templates: sql`select * from change_templates`,
  change_template_versions: sql`select * from change_template_versions`,
  change_requests: sql`select * from change_requests`,
  change_services: sql`select * from change_services`,
  change_environments: sql`select * from change_environments`,
  change_work_items: sql`select * from change_work_items`,
  change_state_transitions: sql`select * from change_state_transitions`,
  change_tasks: sql`select * from change_tasks`,
  approver_groups: sql`select * from approver_groups`,
  approver_group_members: sql`select * from approver_group_members`,
  approval_delegations: sql`select * from approval_delegations`,
  change_approval_requirements: sql`select * from change_approval_requirements`,
  change_approvals: sql`select * from change_approvals`,
  cab_boards: sql`select * from cab_boards`,
  governance_profiles: sql`select * from governance_profiles`,
  policy_versions: sql`select * from policy_versions`,
  deployments: sql`select * from deployments`,
  deployment_commits: sql`select * from deployment_commits`,
  environment_inventory: sql`select * from environment_inventory`,
  service_aliases: sql`select * from service_aliases`,
  environment_aliases: sql`select * from environment_aliases`,
  inbound_events: sql`select * from inbound_events`,
  outbox_jobs: sql`select id from pgboss.job where name = 'domain-events'`,
} as const;
export type TableName = keyof typeof TABLES;

export type Fingerprint = Record<TableName, string>;

const FINGERPRINT_SQL = sql.join(
  Object.entries(TABLES).map(
    ([name, query]) => sql`select ${name}::text as t, count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '-') as h from (${query}) x`,
  ),
  sql` union all `,
);

export async function fingerprint(db: Db): Promise<Fingerprint> {
  const { rows } = await sql<{ t: TableName; h: string }>`${FINGERPRINT_SQL}`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.t, r.h])) as Fingerprint;
}

/** The tables whose fingerprint differs. */
export const changedTables = (a: Fingerprint, b: Fingerprint): TableName[] =>
  (Object.keys(a) as TableName[]).filter((t) => a[t] !== b[t]);

export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** OpenAPI style: /api/v1/services/{ref} */
  path: string;
  /** property names of the JSON request body, if the operation documents one */
  bodyProps: string[];
  /** query parameter names the operation documents */
  queryParams: string[];
}

/** Every operation under /api in the served OpenAPI document. */
export async function documentedOperations(t: TestApp): Promise<Operation[]> {
  const res = await t.request({ method: 'GET', url: '/openapi.json', role: null });
  expect(res.statusCode).toBe(200);
  const spec = res.json() as { paths: Record<string, Record<string, any>>; components?: { schemas?: Record<string, any> } };
  const resolve = (s: any): any => (s?.$ref ? spec.components?.schemas?.[s.$ref.split('/').pop()] : s);
  const ops: Operation[] = [];
  for (const [p, item] of Object.entries(spec.paths)) {
    if (!p.startsWith('/api/')) continue;
    for (const [m, op] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'delete', 'put'].includes(m)) continue;
      const body = resolve(op.requestBody?.content?.['application/json']?.schema);
      ops.push({
        method: m.toUpperCase() as Operation['method'],
        path: p,
        bodyProps: Object.keys(body?.properties ?? {}),
        queryParams: (op.parameters ?? []).filter((x: any) => x.in === 'query').map((x: any) => x.name as string),
      });
    }
  }
  return ops;
}

export const opKey = (o: { method: string; path: string }) => `${o.method} ${o.path}`;

/** The response is an RFC 9457 problem with a stable snake_case code. */
export function expectProblem(res: LightMyRequestResponse, status?: number, code?: string): { code: string; errors?: { path: string; message: string }[]; [k: string]: unknown } {
  const context = `${res.statusCode} ${res.body.slice(0, 500)}`;
  if (status !== undefined) expect(res.statusCode, context).toBe(status);
  expect(res.headers['content-type'], context).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.body);
  expect(body.status, context).toBe(res.statusCode);
  expect(body.code, context).toMatch(/^[a-z][a-z0-9_]*$/);
  expect(typeof body.title, context).toBe('string');
  expect(typeof body.detail, context).toBe('string');
  if (code !== undefined) expect(body.code, context).toBe(code);
  return body;
}

/**
 * Every route the router knows, parsed from printRoutes' tree (HEAD left out: Fastify adds it to
 * each GET). Catches /api routes hidden from the OpenAPI document.
 */
export function routerOperations(app: TestApp['sg']['app']): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const full = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method !== 'HEAD') out.push({ method, path: full.replace(/:(\w+)/g, '{$1}') });
    }
  }
  return out;
}
