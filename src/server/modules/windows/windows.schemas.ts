import { z } from 'zod';
import { pageQuery, sortParam } from '../../lib/keyset.js';
import { dateTime } from '../releases/releases.schemas.js';
import { tagSchema } from '../services/services.schemas.js';

export const WINDOW_KINDS = ['blackout', 'freeze', 'maintenance'] as const;
export type WindowKindInput = (typeof WINDOW_KINDS)[number];
/** What occurrences and evaluations can report: the stored kinds plus approved environment bookings. */
export const OCCURRENCE_KINDS = [...WINDOW_KINDS, 'booking'] as const;
export const ACTIVITIES = ['change', 'deployment'] as const;
export const MAX_OCCURRENCE_RANGE_DAYS = 400;
export const NEXT_OCCURRENCES = 5;

const name = z.string().trim().min(1, 'required').max(200);
const description = z.string().max(4000);
const ref = z.string().min(1).max(100);
const timeZone = z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/Berlin');

/**
 * A local wall-clock time in the window's zone (`2026-12-04T18:00` or `2026-12-04T18:00:00`), or an
 * RFC 3339 instant with offset (`2026-12-04T17:00:00Z`), converted to the zone's wall clock.
 */
export const LOCAL_OR_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/i;
const localOrInstant = z
  .string()
  .max(40)
  .regex(LOCAL_OR_INSTANT, 'local wall clock YYYY-MM-DDTHH:mm[:ss] in timeZone, or RFC 3339 with an offset')
  .describe('local wall clock YYYY-MM-DDTHH:mm[:ss] in timeZone, or an RFC 3339 instant with offset (converted to the wall clock of timeZone)');

export const Recurrence = z.strictObject({
  rrule: z.string().min(1).max(500).describe('RFC 5545 RRULE value without DTSTART, e.g. FREQ=WEEKLY;BYDAY=FR'),
  exdates: z.array(localOrInstant).max(500).optional().describe('starts of occurrences to skip (EXDATE), local wall clock or RFC 3339'),
});
export type Recurrence = z.infer<typeof Recurrence>;

/** The timing of a window: shared by create, patch and preview. */
const timing = {
  timeZone,
  start: localOrInstant.describe('start of the first occurrence: local wall clock in timeZone, or RFC 3339 with offset'),
  end: localOrInstant.describe('end of the first occurrence (exclusive); every occurrence keeps this wall-clock length'),
  recurrence: Recurrence.nullable().optional().describe('null or absent: a one-off window'),
};

export const ScopeInput = z.strictObject({
  all: z.boolean().optional().describe('every service in every environment; nothing else may be given with it'),
  services: z.array(ref).max(200).optional().describe('service ids or keys'),
  environments: z.array(ref).max(50).optional().describe('environment ids or keys'),
  serviceTiers: z.array(z.number().int().min(1).max(4)).max(4).optional().describe('service tiers, 1 = most critical'),
  tags: z.array(tagSchema).max(20).optional().describe('service tags'),
});
export type ScopeInput = z.infer<typeof ScopeInput>;

export const ScopePatch = z.strictObject({
  all: z.boolean().nullable().optional(),
  services: z.array(ref).max(200).nullable().optional(),
  environments: z.array(ref).max(50).nullable().optional(),
  serviceTiers: z.array(z.number().int().min(1).max(4)).max(4).nullable().optional(),
  tags: z.array(tagSchema).max(20).nullable().optional(),
});
export type ScopePatch = z.infer<typeof ScopePatch>;

export const WindowCreate = z.strictObject({
  name,
  description: description.optional(),
  kind: z.enum(WINDOW_KINDS),
  ...timing,
  scope: ScopeInput.describe('dimensions combine with AND, values within one with OR; an empty scope needs all: true'),
});
export type WindowCreate = z.infer<typeof WindowCreate>;

export const WindowPatch = z.strictObject({
  name: name.optional(),
  description: description.nullable().optional(),
  kind: z.enum(WINDOW_KINDS).optional(),
  timeZone: timeZone.optional(),
  start: timing.start.optional(),
  end: timing.end.optional(),
  recurrence: timing.recurrence,
  scope: ScopePatch.optional().describe('merged per dimension (JSON Merge Patch); null clears a dimension'),
});
export type WindowPatch = z.infer<typeof WindowPatch>;

export const PreviewInput = z.strictObject({
  kind: z.enum(WINDOW_KINDS).optional(),
  ...timing,
});
export type PreviewInput = z.infer<typeof PreviewInput>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const OccurrenceOut = z
  .object({
    start: z.string().describe('instant, UTC'),
    end: z.string().describe('instant, UTC (exclusive)'),
    startLocal: z.string().describe('wall clock in the window time zone'),
    endLocal: z.string(),
  })
  .meta({ id: 'WindowOccurrence' });
export type OccurrenceOut = z.infer<typeof OccurrenceOut>;

export const Scope = z.object({
  all: z.boolean(),
  services: z.array(Ref),
  environments: z.array(Ref),
  serviceTiers: z.array(z.number().int()),
  tags: z.array(z.string()),
});
export type Scope = z.infer<typeof Scope>;

export const Window = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(WINDOW_KINDS),
    timeZone: z.string(),
    start: z.string().describe('local wall clock of the first occurrence, YYYY-MM-DDTHH:mm:ss'),
    end: z.string(),
    recurrence: z.object({ rrule: z.string(), exdates: z.array(z.string()) }).nullable(),
    bounds: z.object({ firstStart: z.string(), lastEnd: z.string().nullable().describe('null: recurs forever') }),
    scope: Scope,
    nextOccurrences: z.array(OccurrenceOut).describe(`the next ${NEXT_OCCURRENCES} occurrences ending after now`),
    createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Window' });
export type Window = z.infer<typeof Window>;

export const WINDOW_SORTS = ['name', 'firstStart', 'updatedAt'] as const;
export type WindowSort = (typeof WINDOW_SORTS)[number];

export const WindowListQuery = z.strictObject({
  ...pageQuery,
  sort: sortParam(WINDOW_SORTS, 'name'),
  kind: z.enum(WINDOW_KINDS).optional(),
  service: ref.optional().describe('service id or key: windows whose scope can include it (by name, tier, tag, or not restricted by service)'),
  environment: ref.optional().describe('environment id or key: windows whose scope can include it'),
  q: z.string().max(200).optional().describe('text search in the name'),
  activeAt: dateTime.optional().describe('only windows with an occurrence containing this instant'),
});
export type WindowListQuery = z.infer<typeof WindowListQuery>;

export const Preview = z.object({
  timeZone: z.string(),
  start: z.string().describe('normalised local wall clock'),
  end: z.string(),
  bounds: z.object({ firstStart: z.string(), lastEnd: z.string().nullable() }),
  occurrences: z.array(OccurrenceOut).describe(`the next ${NEXT_OCCURRENCES} occurrences ending after now`),
});
export type Preview = z.infer<typeof Preview>;

export const EvaluateInput = z.strictObject({
  service: ref.describe('service id or key'),
  environment: ref.describe('environment id or key'),
  start: dateTime.describe('RFC 3339 with offset'),
  end: dateTime.describe('RFC 3339 with offset (exclusive)'),
  kind: z.enum(ACTIVITIES).describe('the activity: a change, or a deployment'),
  team: ref.optional().describe('team id or key asking (environment bookings)'),
  release: ref.optional().describe('release id or key asking (environment bookings)'),
  subject: z.strictObject({ type: z.enum(ACTIVITIES), ref: ref.describe('change number or id, deployment id') }).optional()
    .describe('the change or deployment being checked: freezes overridden for it are reported as overridden'),
});
export type EvaluateInput = z.infer<typeof EvaluateInput>;

const OverrideInfo = z.object({ by: z.string(), reason: z.string(), at: z.string() });

export const Evaluation = z
  .object({
    allowed: z.boolean(),
    windows: z.array(z.object({
      window: z.object({ id: z.string(), name: z.string(), kind: z.enum(OCCURRENCE_KINDS) }),
      effect: z.enum(['blocks', 'allows', 'overridden', 'held_by_you', 'outside']),
      occurrence: z.object({ start: z.string(), end: z.string() }).nullable(),
      scopeMatch: z.array(z.string()).describe('how the scope matched, with keys, e.g. "environment production", "service tier 1"'),
      reason: z.string(),
      override: OverrideInfo.nullable(),
    })),
    nextAllowed: z.object({ start: z.string(), end: z.string() }).nullable().describe('when blocked: the earliest allowed slot of the same length'),
  })
  .meta({ id: 'WindowEvaluation' });
export type Evaluation = z.infer<typeof Evaluation>;

export const OccurrencesQuery = z.strictObject({
  from: dateTime.describe('RFC 3339, inclusive'),
  to: dateTime.describe(`RFC 3339, exclusive; at most ${MAX_OCCURRENCE_RANGE_DAYS} days after from`),
  kind: z.string().regex(/^(blackout|freeze|maintenance|booking)(,(blackout|freeze|maintenance|booking))*$/, 'comma-separated: blackout, freeze, maintenance, booking').optional(),
  service: ref.optional().describe('service id or key: occurrences of windows that can apply to it'),
  environment: ref.optional().describe('environment id or key: occurrences of windows that can apply to it'),
});
export type OccurrencesQuery = z.infer<typeof OccurrencesQuery>;

export const CalendarOccurrence = z
  .object({
    window: z.object({
      id: z.string().describe('window id, or booking id for kind booking'),
      name: z.string(),
      kind: z.enum(OCCURRENCE_KINDS),
      timeZone: z.string(),
      scope: Scope,
      holder: z.object({ team: Ref.nullable(), release: Ref.nullable() }).nullable().describe('bookings: who holds the environment'),
    }),
    start: z.string(),
    end: z.string(),
    startLocal: z.string(),
    endLocal: z.string(),
  })
  .meta({ id: 'WindowCalendarOccurrence' });
export type CalendarOccurrence = z.infer<typeof CalendarOccurrence>;

export const OccurrencesResponse = z.object({
  from: z.string(),
  to: z.string(),
  items: z.array(CalendarOccurrence),
  truncated: z.boolean().describe('true when the range held more occurrences than one response carries: narrow it'),
});

export const OverrideCreate = z.strictObject({
  subjectType: z.enum(ACTIVITIES),
  subjectRef: z.string().trim().min(1).max(100).describe('change number or id, or deployment id'),
  reason: z.string().trim().min(1, 'required').max(2000),
});
export type OverrideCreate = z.infer<typeof OverrideCreate>;

export const Override = z
  .object({
    id: z.string(),
    windowId: z.string(),
    subjectType: z.enum(ACTIVITIES),
    subjectRef: z.string(),
    reason: z.string(),
    createdBy: z.object({ id: z.string().nullable(), name: z.string() }),
    createdAt: z.string(),
  })
  .meta({ id: 'WindowOverride' });
export type Override = z.infer<typeof Override>;

export const OverrideListQuery = z.strictObject({ ...pageQuery });
export type OverrideListQuery = z.infer<typeof OverrideListQuery>;

export const WindowIdParams = z.strictObject({ id: z.uuid() });
export const OverrideParams = z.strictObject({ id: z.uuid(), overrideId: z.uuid() });
