import { PreconditionFailed } from './errors.js';

/** `If-Match: "3"` (or W/"3", or *) → the version the client last saw. */
export function parseIfMatch(header: string | undefined): number | '*' | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!m) throw new PreconditionFailed(`If-Match must be the ETag of the object, e.g. "3"; got ${value.slice(0, 40)}.`);
  return Number(m[1]);
}

export function assertVersion(expected: number | '*' | undefined, actual: number, what: string): void {
  if (expected === undefined || expected === '*') return;
  if (expected !== actual) {
    throw new PreconditionFailed(`${what} was changed by someone else (now version ${actual}, you sent ${expected}). Reload it and apply your change again.`);
  }
}

export const etagOf = (version: number) => `"${version}"`;
