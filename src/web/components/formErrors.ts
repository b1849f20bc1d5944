import type { ProblemFieldError } from '../api/client';
import { ApiError } from '../api/client';

/**
 * Map a problem's `errors[].path` onto form fields. Accepts `key`, `/key`, `body.key`, `body/key`,
 * `dependsOn.0`, `dependsOn[0]`, and aliases like `ownerTeam` → `ownerTeamId`.
 * Returns the field errors it could place, plus the ones it could not.
 */
export function mapFieldErrors(
  error: unknown,
  fields: readonly string[],
  aliases: Record<string, string> = {},
): { fieldErrors: Record<string, string>; unplaced: ProblemFieldError[] } {
  const fieldErrors: Record<string, string> = {};
  const unplaced: ProblemFieldError[] = [];
  if (!(error instanceof ApiError)) return { fieldErrors, unplaced };
  for (const item of error.fieldErrors) {
    const segments = String(item.path ?? '')
      .replace(/^#?\/?/, '')
      .split(/[./[\]]+/)
      .filter(Boolean);
    if (segments[0] === 'body') segments.shift();
    const head = segments[0] ?? '';
    const field = aliases[head] ?? head;
    if (fields.includes(field)) {
      fieldErrors[field] = fieldErrors[field] ? `${fieldErrors[field]}; ${item.message}` : item.message;
    } else {
      unplaced.push(item);
    }
  }
  return { fieldErrors, unplaced };
}
