import { z } from 'zod';
import { pageQuery, sortParam } from '../../lib/keyset.js';

export const STATUS_CATEGORIES = ['todo', 'in_progress', 'done'] as const;
export type StatusCategory = (typeof STATUS_CATEGORIES)[number];

// no control characters: these strings end up in Markdown release notes and tracker links
const text = (max: number) => z.string().trim().min(1, 'required').max(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
export const sourceSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lowercase name of the tracker, e.g. jira, github, redmine').describe('the tracker the item comes from');
export const externalKeySchema = text(200).describe("the item's key in its tracker, e.g. PAY-123 or acme/shop#42");
const url = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
  .max(2000)
  .describe('link to the item in its tracker (http or https)');
const type = z.string().trim().regex(/^[a-z][a-z0-9_ -]{0,39}$/i, 'a word like bug, story, feature, task').transform((s) => s.toLowerCase()).describe('e.g. feature, story, bug, task');
const title = text(500);
const status = z.string().trim().max(100).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters').describe("the tracker's own status name");
const assignee = text(200);
const releaseId = z.uuid().describe('the release this item is in');
const releaseRef = z.string().min(1).max(100).describe('the release this item is in, by id or key');

const fields = {
  url: url.nullable().optional(),
  type,
  title,
  statusCategory: z.enum(STATUS_CATEGORIES),
  status: status.optional(),
  assignee: assignee.nullable().optional(),
  blocking: z.boolean().optional().describe('blocks its release while not done'),
  releaseId: releaseId.nullable().optional(),
  release: releaseRef.nullable().optional(),
};

export const WorkItemCreate = z.strictObject({ source: sourceSchema, externalKey: externalKeySchema, ...fields });
export type WorkItemCreate = z.infer<typeof WorkItemCreate>;

/** The body of PUT /work-items/by-key/{source}/{externalKey}: fields left out keep their current value. */
export const WorkItemUpsert = z.strictObject(fields);
export type WorkItemUpsert = z.infer<typeof WorkItemUpsert>;

export const WorkItemPatch = z.strictObject({
  url: url.nullable().optional(),
  type: type.optional(),
  title: title.optional(),
  statusCategory: z.enum(STATUS_CATEGORIES).optional(),
  status: status.nullable().optional(),
  assignee: assignee.nullable().optional(),
  blocking: z.boolean().nullable().optional(),
  releaseId: releaseId.nullable().optional(),
  release: releaseRef.nullable().optional(),
});
export type WorkItemPatch = z.infer<typeof WorkItemPatch>;

export const ReleaseRef = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const WorkItem = z
  .object({
    id: z.string(),
    source: z.string(),
    externalKey: z.string(),
    url: z.string().nullable(),
    type: z.string(),
    title: z.string(),
    statusCategory: z.enum(STATUS_CATEGORIES),
    status: z.string(),
    assignee: z.string().nullable(),
    blocking: z.boolean(),
    release: ReleaseRef.nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WorkItem' });
export type WorkItem = z.infer<typeof WorkItem>;

export const WORK_ITEM_SORTS = ['externalKey', 'title', 'updatedAt'] as const;
export type WorkItemSort = (typeof WORK_ITEM_SORTS)[number];

export const WorkItemListQuery = z.strictObject({
  ...pageQuery,
  sort: sortParam(WORK_ITEM_SORTS, 'externalKey'),
  release: z.string().min(1).max(100).optional().describe("release id or key; 'none' for items in no release"),
  statusCategory: z.enum(STATUS_CATEGORIES).optional(),
  source: z.string().max(40).optional(),
  type: z.string().max(40).optional(),
  blocking: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  q: z.string().max(200).optional().describe('text search in external key and title'),
});
export type WorkItemListQuery = z.infer<typeof WorkItemListQuery>;

export const WorkItemKeyParams = z.strictObject({ source: sourceSchema, externalKey: externalKeySchema });

const ScopeItem = WorkItem.pick({ id: true, source: true, externalKey: true, url: true, type: true, title: true, status: true, assignee: true, blocking: true });

export const ReleaseScope = z
  .object({
    release: ReleaseRef.extend({ status: z.string(), plannedAt: z.string().nullable() }),
    counts: z.object({ total: z.number().int(), todo: z.number().int(), inProgress: z.number().int(), done: z.number().int(), openBlockers: z.number().int() }),
    groups: z.object({ todo: z.array(ScopeItem), inProgress: z.array(ScopeItem), done: z.array(ScopeItem) }),
    truncated: z.boolean().describe('true when a group holds more items than listed here (page through /work-items?release=… for all)'),
    scopeCreep: z.array(
      z.object({
        change: z.enum(['added', 'removed']),
        at: z.string(),
        actor: z.object({ id: z.string(), name: z.string() }).nullable(),
        workItem: ScopeItem.pick({ id: true, source: true, externalKey: true, title: true }).nullable(),
      }),
    ).describe('items added to or removed from the release after it was planned, newest first'),
  })
  .meta({ id: 'ReleaseScope' });
export type ReleaseScope = z.infer<typeof ReleaseScope>;

export const ReleaseNotesQuery = z.strictObject({ format: z.enum(['json', 'markdown']).default('json') });

export const ReleaseNotes = z
  .object({
    release: ReleaseRef.extend({ version: z.string(), status: z.string() }),
    sections: z.array(
      z.object({
        type: z.string(),
        title: z.string(),
        items: z.array(z.object({ source: z.string(), externalKey: z.string(), title: z.string(), url: z.string().nullable(), done: z.boolean() })),
      }),
    ),
  })
  .meta({ id: 'ReleaseNotes' });
export type ReleaseNotes = z.infer<typeof ReleaseNotes>;
