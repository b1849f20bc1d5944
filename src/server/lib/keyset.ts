import { z } from 'zod';
import { decodeCursor, type Cursor } from './cursor.js';
import { Invalid } from './errors.js';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** Query parameters every list endpoint takes. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`Page size, 1–${MAX_PAGE_SIZE}`),
  cursor: z.string().max(1000).optional().describe('The nextCursor of the previous page'),
};

export interface SortSpec<F extends string> {
  field: F;
  desc: boolean;
}

/** `?sort=name` or `?sort=-name`, restricted to a documented set of fields. */
export function sortParam<F extends string>(fields: readonly F[], fallback: F) {
  const allowed = fields.flatMap((f) => [f, `-${f}`]);
  return z
    .string()
    .optional()
    .transform((raw, ctx): SortSpec<F> => {
      const value = raw ?? fallback;
      if (!allowed.includes(value)) {
        ctx.addIssue({ code: 'custom', message: `sort must be one of: ${allowed.join(', ')}` });
        return z.NEVER;
      }
      return { field: value.replace(/^-/, '') as F, desc: value.startsWith('-') };
    })
    .describe(`Sort field, '-' prefix for descending: ${allowed.join(', ')}`);
}

/** A cursor is only valid with the sort it was issued for: the sort field travels inside it. */
export function cursorFor(raw: string | undefined, sortField: string): Cursor | undefined {
  const c = decodeCursor(raw);
  if (c && c.s !== undefined && c.s !== sortField) {
    throw new Invalid('invalid_cursor', 'The cursor belongs to another sort order: start again without a cursor.', [{ path: 'cursor', message: 'sort changed' }], 400);
  }
  return c;
}
