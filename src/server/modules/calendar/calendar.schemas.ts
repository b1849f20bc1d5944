import { z } from 'zod';
import { CalendarOccurrence } from '../windows/windows.schemas.js';

export const MAX_RANGE_DAYS = 400;
/** Items per kind: a month grid cannot show more than a few hundred bars; ask for more, or narrow the filter. */
export const DEFAULT_ITEMS_PER_KIND = 500;
export const MAX_ITEMS_PER_KIND = 2000;
const ref = z.string().min(1).max(100);

export const CalendarQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).describe('RFC 3339, inclusive'),
  to: z.iso.datetime({ offset: true }).describe(`RFC 3339, exclusive; at most ${MAX_RANGE_DAYS} days after from`),
  team: ref.optional().describe('owner team id or key'),
  service: ref.optional().describe('service id or key in the release scope'),
  environment: ref.optional().describe('environment id or key a phase is bound to'),
  limit: z.coerce.number().int().min(1).max(MAX_ITEMS_PER_KIND).default(DEFAULT_ITEMS_PER_KIND)
    .describe(`at most this many releases, phases and gates each (1–${MAX_ITEMS_PER_KIND}); truncated says when a range held more`),
  kinds: z.string().regex(/^(release|phase|gate|window)(,(release|phase|gate|window))*$/, 'comma-separated: release, phase, gate, window').optional()
    .describe('what to include (default all): window = occurrences of blackouts, freezes, maintenance windows and approved bookings'),
});
export type CalendarQuery = z.infer<typeof CalendarQuery>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const CalendarItem = z
  .object({
    kind: z.enum(['release', 'phase', 'gate']),
    id: z.string(),
    title: z.string(),
    start: z.string(),
    end: z.string(),
    status: z.string(),
    releaseId: z.string().describe('the release this item belongs to: see `releases`'),
    environments: z.array(z.string()).describe('environment keys (phases)'),
  })
  .meta({ id: 'CalendarItem' });
export type CalendarItem = z.infer<typeof CalendarItem>;

export const CalendarRelease = z
  .object({ id: z.string(), key: z.string(), name: z.string(), type: z.string(), status: z.string(), team: Ref.nullable() })
  .meta({ id: 'CalendarRelease' });
export type CalendarRelease = z.infer<typeof CalendarRelease>;

export const CalendarResponse = z.object({
  from: z.string(),
  to: z.string(),
  items: z.array(CalendarItem).describe('releases, then phases, then gates; each kind ordered by start'),
  releases: z.array(CalendarRelease).describe('every release an item refers to, once'),
  windows: z.array(CalendarOccurrence).describe('occurrences of time windows and approved bookings that apply to the filter'),
  truncated: z.boolean().describe('true when the range held more items than one response carries: narrow it'),
});

export const FeedCreate = z.strictObject({
  scope: z.enum(['team', 'service']),
  ref: ref.describe('team or service id or key'),
  name: z.string().trim().min(1).max(200).optional(),
});

export const Feed = z
  .object({
    id: z.string(), scope: z.enum(['team', 'service']), name: z.string(), target: Ref,
    createdAt: z.string(), revokedAt: z.string().nullable(),
  })
  .meta({ id: 'CalendarFeed' });
export type Feed = z.infer<typeof Feed>;

export const FeedCreated = z.object({ feed: Feed, url: z.string().describe('secret subscription URL, shown once') });
