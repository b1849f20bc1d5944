import { Invalid } from './errors.js';
import { isUuid } from './ids.js';

/**
 * Opaque pagination cursors: base64url JSON of the last row's sort key and id.
 * Decoding checks the shape so a forged or truncated cursor is a 400, never a SQL error.
 */
export interface Cursor {
  k: string | number | null; // the sort key of the last row
  id: string; // tie-breaker
  s?: string; // the sort field it was issued for
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (isCursor(parsed)) return parsed;
  throw new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [
    { path: 'cursor', message: 'not a cursor issued by this API' },
  ], 400);
}

function isCursor(value: unknown): value is Cursor {
  if (!value || typeof value !== 'object') return false;
  const { k, id } = value as Record<string, unknown>;
  const keyOk = k === null || typeof k === 'number' || (typeof k === 'string' && k.length <= 300);
  const { s } = value as Record<string, unknown>;
  return keyOk && typeof id === 'string' && isUuid(id) && (s === undefined || (typeof s === 'string' && s.length <= 40));
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Rows fetched with limit + 1: the extra row only tells whether another page exists. */
export function toPage<R, T>(rows: R[], limit: number, cursorOf: (row: R) => Cursor, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: more && last ? encodeCursor(cursorOf(last)) : null };
}
