import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { dateTime } from '../releases/releases.schemas.js';

export const DEPLOYMENT_STATUSES = ['queued', 'in_progress', 'succeeded', 'failed', 'rolled_back', 'canceled'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const DEPLOYMENT_SOURCES = ['api', 'cli', 'cdevents', 'github', 'gitlab'] as const;
export type DeploymentSource = (typeof DEPLOYMENT_SOURCES)[number];

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const text = (max: number) => z.string().trim().min(1, 'required').max(max).regex(NO_CONTROL, 'no control characters');
const ref = z.string().trim().min(1, 'required').max(100).regex(NO_CONTROL, 'no control characters');
const url = z.url({ protocol: /^https?$/, hostname: z.regexes.hostname }).max(2000).describe('link to the pipeline run (http or https)');

const Commit = z.strictObject({
  sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'a git commit sha: 7 to 64 hex digits').transform((s) => s.toLowerCase()),
  committedAt: dateTime.optional(),
  author: text(200).optional(),
  // commit messages span lines: only NUL is refused
  message: z.string().max(10_000).regex(/^[^\u0000]*$/, 'no NUL characters').optional(),
});
export type CommitInput = z.infer<typeof Commit>;
const commits = z.array(Commit).max(500).describe('merged by sha with the commits already recorded');

export const DeploymentReport = z.strictObject({
  service: ref.describe('service key or id; an unknown name is kept as unmatched'),
  environment: ref.describe('environment key or id; an unknown name is kept as unmatched'),
  version: text(200).describe('the deployed version'),
  artifact: text(1000).optional().describe('e.g. an image reference'),
  status: z.enum(DEPLOYMENT_STATUSES).optional().describe('default in_progress'),
  startedAt: dateTime.optional(),
  finishedAt: dateTime.optional().describe('default for a terminal status: the time of the report'),
  commits: commits.optional(),
  pipelineRunId: text(200).optional(),
  pipelineUrl: url.optional(),
  release: ref.optional().describe('release id or key'),
  change: ref.optional().describe('change id or number'),
  source: z.enum(DEPLOYMENT_SOURCES).optional().describe('default api'),
  externalId: text(200).optional().describe('unique per source: a second report with it updates the same deployment'),
});
export type DeploymentReport = z.infer<typeof DeploymentReport>;

export const DeploymentPatch = z.strictObject({
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  startedAt: dateTime.optional(),
  finishedAt: dateTime.optional(),
  version: text(200).optional().describe('the deployed version'),
  artifact: text(1000).nullable().optional(),
  pipelineUrl: url.nullable().optional(),
  release: ref.nullable().optional().describe('release id or key'),
  change: ref.nullable().optional().describe('change id or number'),
  commits: commits.optional().describe('added to (merged by sha with) the recorded commits'),
});
export type DeploymentPatch = z.infer<typeof DeploymentPatch>;

const Named = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const Deployment = z
  .object({
    id: z.string(),
    service: Named.nullable(),
    serviceRef: z.string(),
    environment: Named.nullable(),
    environmentRef: z.string(),
    matched: z.boolean().describe('both the service and the environment are in the catalog'),
    deployedVersion: z.string(),
    artifact: z.string().nullable(),
    status: z.enum(DEPLOYMENT_STATUSES),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationSeconds: z.number().nullable(),
    commits: z.array(z.object({ sha: z.string(), committedAt: z.string().nullable(), author: z.string().nullable(), message: z.string().nullable() })),
    pipelineRunId: z.string().nullable(),
    pipelineUrl: z.string().nullable(),
    source: z.enum(DEPLOYMENT_SOURCES),
    externalId: z.string().nullable(),
    release: Named.nullable(),
    change: z.object({ id: z.string(), number: z.string() }).nullable(),
    reportedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    version: z.number().int().describe('row version, for ETag / If-Match'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Deployment' });
export type Deployment = z.infer<typeof Deployment>;

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export const DeploymentListQuery = z.strictObject({
  ...pageQuery,
  service: ref.optional().describe('service key or id, or a reported name'),
  environment: ref.optional().describe('environment key or id, or a reported name'),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  release: ref.optional().describe('release id or key'),
  change: ref.optional().describe('change id or number'),
  unmatched: bool.optional().describe('true: only deployments whose service or environment is not in the catalog'),
  from: dateTime.optional().describe('RFC 3339, inclusive (on finish, else start, else report time)'),
  to: dateTime.optional().describe('RFC 3339, exclusive'),
});
export type DeploymentListQuery = z.infer<typeof DeploymentListQuery>;

export const UnmatchedMap = z
  .strictObject({
    serviceRef: ref.optional().describe('the reported service name'),
    service: ref.optional().describe('service key or id'),
    environmentRef: ref.optional().describe('the reported environment name'),
    environment: ref.optional().describe('environment key or id'),
  })
  .superRefine((v, ctx) => {
    const pairs = [v.serviceRef !== undefined || v.service !== undefined, v.environmentRef !== undefined || v.environment !== undefined];
    if (pairs[0] === pairs[1]) ctx.addIssue({ code: 'custom', path: [], message: 'send either {serviceRef, service} or {environmentRef, environment}' });
    for (const [a, b] of [['serviceRef', 'service'], ['environmentRef', 'environment']] as const) {
      if ((v[a] === undefined) !== (v[b] === undefined)) ctx.addIssue({ code: 'custom', path: [v[a] === undefined ? a : b], message: `required with ${v[a] === undefined ? b : a}` });
    }
  })
  .describe('{serviceRef, service} or {environmentRef, environment}');
export type UnmatchedMap = z.infer<typeof UnmatchedMap>;

export const UnmatchedMapResult = z.object({ mapped: z.number().int().describe('deployments attached') }).meta({ id: 'UnmatchedMapResult' });

export const InventoryQuery = z.strictObject({
  service: ref.optional().describe('service key or id'),
  team: ref.optional().describe('owner team key or id'),
  drift: bool.optional().describe('true: only services whose environments run different versions'),
});
export type InventoryQuery = z.infer<typeof InventoryQuery>;

const Cell = z.object({ version: z.string(), since: z.string(), deploymentId: z.string() });
const Last = z.object({ id: z.string(), version: z.string(), status: z.enum(DEPLOYMENT_STATUSES), at: z.string() });

export const Inventory = z
  .object({
    environments: z.array(z.object({ key: z.string(), name: z.string(), tier: z.string(), order: z.number().int() })),
    services: z.array(
      z.object({
        key: z.string(),
        name: z.string(),
        tier: z.number().int(),
        team: z.object({ id: z.string(), key: z.string(), name: z.string() }).nullable(),
        cells: z.record(z.string(), Cell.nullable()).describe('per environment key: the version running there (latest succeeded deployment)'),
        last: z.record(z.string(), Last.nullable()).describe('per environment key: the latest deployment, whatever its status'),
        drift: z.boolean(),
        driftDetail: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Inventory' });
export type Inventory = z.infer<typeof Inventory>;

export const InventoryHistoryQuery = z.strictObject({
  ...pageQuery,
  service: ref.describe('service key or id'),
  environment: ref.describe('environment key or id'),
});
export type InventoryHistoryQuery = z.infer<typeof InventoryHistoryQuery>;

export const InventoryHistoryEntry = z
  .object({
    version: z.string(),
    since: z.string(),
    until: z.string().nullable().describe('null: still running'),
    deployment: Deployment,
  })
  .meta({ id: 'InventoryHistoryEntry' });
export type InventoryHistoryEntry = z.infer<typeof InventoryHistoryEntry>;
