/** Checks a window definition and says what is wrong in words a person understands. */
import type { FieldError, WindowDefinition } from './types.js';
import { createRecurrence, freqPeriod, parseRule, type ParsedRule } from './rule.js';
import { formatLocal, isValidTimeZone, parseLocal } from './zone.js';

const KINDS = ['blackout', 'freeze', 'maintenance', 'booking'];
const MAX_EXDATES = 1000;
const HOUR = 3_600_000;

export function validateDefinition(def: WindowDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const add = (path: string, message: string) => errors.push({ path, message });
  if (!KINDS.includes(def.kind)) add('kind', `kind must be one of ${KINDS.join(', ')}`);
  if (!isValidTimeZone(def.timeZone)) add('timeZone', `unknown time zone ${JSON.stringify(def.timeZone)}: use an IANA name such as Europe/Berlin or UTC`);
  const start = parseLocal(def.start);
  const end = parseLocal(def.end);
  if (start === null) add('start', `start must be a local date and time YYYY-MM-DDTHH:mm:ss (no offset), got ${JSON.stringify(def.start)}`);
  if (end === null) add('end', `end must be a local date and time YYYY-MM-DDTHH:mm:ss (no offset), got ${JSON.stringify(def.end)}`);
  if (start !== null && end !== null && end <= start) add('end', `end (${def.end}) must be after start (${def.start})`);
  (def.exdates ?? []).forEach((x, i) => {
    if (parseLocal(x) === null) add(`exdates.${i}`, `an excluded start must be a local date and time YYYY-MM-DDTHH:mm:ss, got ${JSON.stringify(x)}`);
  });
  checkScope(def, add);
  if ((def.exdates ?? []).length > MAX_EXDATES) add('exdates', `at most ${MAX_EXDATES} excluded starts`);
  if (def.rrule !== null && def.rrule !== undefined) {
    if (def.kind === 'booking') add('rrule', 'a booking cannot recur: book each period separately (a recurring booking would hold the environment forever)');
    else if (start !== null && end !== null && end > start) checkRule(def.rrule, start, end - start, add);
    else checkRule(def.rrule, null, 0, add);
  }
  return errors;
}

function checkRule(text: string, start: number | null, span: number, add: (path: string, message: string) => void): void {
  const { rule, problems } = parseRule(text);
  if (!rule) {
    add('rrule', `invalid recurrence rule: ${problems.join('; ')}`);
    return;
  }
  if (start === null) return;
  let first: number[];
  try {
    first = createRecurrence(rule, start, null).first(400);
  } catch {
    first = [];
  }
  if (first.length === 0) {
    add('rrule', `the recurrence rule ${text} never produces an occurrence`);
    return;
  }
  if (first[0] !== start) {
    add('start', `start ${formatLocal(start).replace('T', ' ')} is not an occurrence of the rule ${text}${first[0] !== undefined ? ` (its first is ${formatLocal(first[0]).replace('T', ' ')})` : ''}: set start to the first occurrence`);
    return;
  }
  const gap = minGap(first, rule);
  if (span >= gap) add('end', `each occurrence lasts ${describe(span)} but the rule repeats after ${describe(gap)}, so occurrences would overlap: shorten the window or repeat less often`);
}

/** Shortest distance between consecutive starts (over the first ones), never more than the frequency's period. */
function minGap(starts: number[], rule: ParsedRule): number {
  let gap = freqPeriod(rule);
  for (let i = 1; i < starts.length; i++) gap = Math.min(gap, starts[i]! - starts[i - 1]!);
  return gap;
}

function describe(ms: number): string {
  const days = Math.floor(ms / (24 * HOUR));
  const hours = Math.round((ms % (24 * HOUR)) / HOUR);
  const parts = [days ? `${days} day${days === 1 ? '' : 's'}` : '', hours ? `${hours} hour${hours === 1 ? '' : 's'}` : ''].filter(Boolean);
  return parts.join(' ') || `${Math.round(ms / 60_000)} minutes`;
}

function checkScope(def: WindowDefinition, add: (path: string, message: string) => void): void {
  const s = def.scope;
  if (!s) return add('scope', 'scope is missing');
  const empty = !s.serviceIds?.length && !s.environmentIds?.length && !s.serviceTiers?.length && !s.tags?.length;
  if (!s.all && empty) add('scope', 'choose services, environments, service tiers or tags, or set all: an empty scope would apply to nothing');
  if (def.kind === 'booking' && !s.environmentIds?.length) add('scope.environmentIds', 'a booking reserves an environment: name it');
  if (def.kind === 'booking' && !def.holder?.teamId && !def.holder?.releaseId) add('holder', 'a booking needs a holder: a team or a release');
}
