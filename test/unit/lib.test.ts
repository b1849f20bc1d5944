import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, toPage } from '../../src/server/lib/cursor.js';
import { DomainError } from '../../src/server/lib/errors.js';
import { assertVersion, parseIfMatch } from '../../src/server/lib/versioning.js';
import { diffOf } from '../../src/server/modules/audit/audit.service.js';
import { can, PERMISSIONS, permissionsOf, ROLES } from '../../src/server/modules/identity/permissions.js';

const ID = '01a218a6-29dc-77f1-bb39-2e8998af1d6a';

describe('cursors', () => {
  it('round-trip and reject anything not issued by the API', () => {
    const c = { k: 'ledger', id: ID, s: 'key' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(undefined)).toBeUndefined();
    for (const bad of ['x', Buffer.from('{"k":1}').toString('base64url'), Buffer.from(JSON.stringify({ k: {}, id: ID })).toString('base64url'), Buffer.from(JSON.stringify({ k: 1, id: 'not-a-uuid' })).toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(DomainError);
    }
  });

  it('page with limit + 1 rows: the extra row only says there is more', () => {
    const rows = [1, 2, 3].map((n) => ({ n, id: ID }));
    const full = toPage(rows, 2, (r) => ({ k: r.n, id: r.id }), (r) => r.n);
    expect(full.items).toEqual([1, 2]);
    expect(decodeCursor(full.nextCursor!)).toEqual({ k: 2, id: ID });
    expect(toPage(rows, 3, (r) => ({ k: r.n, id: r.id }), (r) => r.n).nextCursor).toBeNull();
  });
});

describe('If-Match', () => {
  it('accepts strong, weak, bare and * forms, and refuses garbage with 412', () => {
    expect(parseIfMatch('"3"')).toBe(3);
    expect(parseIfMatch('W/"3"')).toBe(3);
    expect(parseIfMatch('3')).toBe(3);
    expect(parseIfMatch('*')).toBe('*');
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(() => parseIfMatch('"abc"')).toThrow(expect.objectContaining({ status: 412 }));
    expect(() => assertVersion(2, 3, 'The service')).toThrow(expect.objectContaining({ code: 'precondition_failed' }));
    expect(() => assertVersion('*', 3, 'x')).not.toThrow();
  });
});

describe('audit diffs', () => {
  it('keep only what changed', () => {
    expect(diffOf({ a: 1, b: [1], c: 'x' }, { a: 1, b: [2], c: 'x', d: true })).toEqual({ before: { b: [1], d: null }, after: { b: [2], d: true } });
    expect(diffOf(null, { a: 1 })).toEqual({ after: { a: 1 } });
    expect(diffOf({ a: 1 }, null)).toEqual({ before: { a: 1 } });
  });
});

describe('permission map', () => {
  it('gives every role read access to the catalog and keeps writes to the named roles', () => {
    for (const role of ROLES) expect(can({ roles: [role] }, 'service:read')).toBe(true);
    expect(ROLES.filter((r) => can({ roles: [r] }, 'service:create'))).toEqual(['admin', 'release_manager']);
    expect(permissionsOf(['viewer']).every((p) => !/:(create|update|delete|manage_all|verify)$/.test(p) || p === 'token:create')).toBe(true);
    expect(permissionsOf(['admin'])).toEqual(Object.keys(PERMISSIONS));
  });
});
