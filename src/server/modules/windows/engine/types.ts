/**
 * The time-window engine's plain data (docs/decisions/0008-time-windows.md). No database, no HTTP:
 * the windows module loads definitions and asks; changes, gates, bookings and the calendar use it.
 */

export type WindowKind = 'blackout' | 'freeze' | 'maintenance' | 'booking';
export type Activity = 'change' | 'deployment';

export interface WindowScope {
  all: boolean;
  serviceIds: string[];
  environmentIds: string[];
  serviceTiers: number[];
  /** matched against the service's tags */
  tags: string[];
}

export interface WindowDefinition {
  id: string;
  name: string;
  kind: WindowKind;
  /** IANA zone the wall-clock times and the recurrence are in */
  timeZone: string;
  /** local wall-clock start of the first occurrence, `YYYY-MM-DDTHH:mm:ss` (DTSTART) */
  start: string;
  /** local wall-clock end of the first occurrence; every occurrence spans the same wall-clock length */
  end: string;
  /** RFC 5545 RRULE value without DTSTART, e.g. `FREQ=WEEKLY;BYDAY=FR`; null = one-off */
  rrule: string | null;
  /** local wall-clock starts of occurrences to skip (EXDATE) */
  exdates: string[];
  scope: WindowScope;
  /** bookings: who holds the environment */
  holder: { teamId: string | null; releaseId: string | null } | null;
  /** bookings: only approved ones reserve the environment; absent means approved */
  status?: BookingStatus;
}

export type BookingStatus = 'requested' | 'approved' | 'rejected' | 'released';

export interface Occurrence {
  /** epoch milliseconds, [start, end) */
  start: number;
  end: number;
}

export interface EvaluationSubject {
  serviceId: string;
  serviceTier: number;
  serviceTags: string[];
  environmentId: string;
  /** who asks, for bookings */
  teamId: string | null;
  releaseId: string | null;
}

export interface EvaluationRequest {
  subject: EvaluationSubject;
  activity: Activity;
  start: number;
  end: number;
  /** windows overridden for this change or deployment, with who and why */
  overrides: ReadonlyMap<string, { by: string; reason: string; at: string }>;
}

export type Effect = 'blocks' | 'allows' | 'overridden' | 'held_by_you' | 'outside';

export interface AppliedWindow {
  windowId: string;
  name: string;
  kind: WindowKind;
  effect: Effect;
  /** the occurrence that applies (for `outside`: null, no maintenance occurrence contains the range) */
  occurrence: { start: string; end: string } | null;
  /** how the scope matched, e.g. ['environment prod', 'service tier 1'] or ['all'] (ids, the module maps them to keys) */
  scopeMatch: string[];
  /** one sentence a person understands */
  reason: string;
  override: { by: string; reason: string; at: string } | null;
}

export interface EvaluationResult {
  allowed: boolean;
  windows: AppliedWindow[];
  /** when blocked: the earliest [start, end) of the same length at or after the requested start that is allowed */
  nextAllowed: { start: string; end: string } | null;
}

export interface FieldError {
  path: string;
  message: string;
}
