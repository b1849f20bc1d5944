import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { pageOf } from '../../http/route-helpers.js';
import { toPage } from '../../lib/cursor.js';
import { cursorFor, pageQuery } from '../../lib/keyset.js';
import { Invalid } from '../../lib/errors.js';
import { assertCan } from '../identity/permissions.js';
import type { AuditService } from './audit.service.js';

const AuditEvent = z
  .object({
    id: z.string(), seq: z.string(), at: z.string(), actor: z.object({ id: z.string().nullable(), name: z.string().nullable() }).nullable(),
    action: z.string(), entityType: z.string(), entityId: z.string(), requestId: z.string().nullable(), diff: z.unknown(),
    chainSeq: z.string().nullable().describe('position in the hash chain; null for the moment between commit and sealing'),
    hash: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

const AuditQuery = z.strictObject({
  ...pageQuery,
  entityType: z.string().max(100).optional(),
  entityId: z.string().max(100).optional(),
  actor: z.uuid().optional().describe('user id'),
  action: z.string().max(100).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('RFC 3339, inclusive'),
  to: z.iso.datetime({ offset: true }).optional().describe('RFC 3339, exclusive'),
});

const VerifyResult = z.object({
  ok: z.boolean(), checked: z.number().int(),
  firstInvalid: z.object({ seq: z.string(), id: z.string(), reason: z.string() }).nullable(),
});

export function auditRoutes(app: FastifyInstance, deps: { audit: AuditService }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/api/v1/audit', {
    config: { permission: 'audit:read' },
    schema: { tags: ['audit'], operationId: 'listAuditEvents', summary: 'Search the audit log, newest first', querystring: AuditQuery, response: { 200: pageOf(AuditEvent), ...commonErrors } },
  }, async (req) => {
    const q = req.query;
    const c = cursorFor(q.cursor, 'seq');
    if (c && !/^\d{1,19}$/.test(String(c.k))) {
      throw new Invalid('invalid_cursor', 'The cursor is not valid: use the nextCursor value from a previous page.', [{ path: 'cursor', message: 'not a cursor issued by this API' }], 400);
    }
    const rows = await deps.audit.list(actorOf(req), {
      entityType: q.entityType, entityId: q.entityId, actorId: q.actor, action: q.action,
      from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined,
      beforeSeq: c ? String(c.k) : undefined, limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (e) => ({ k: e.seq, id: e.id, s: 'seq' }), (e) => ({
      id: e.id, seq: e.seq, at: e.at.toISOString(), actor: e.actor_id || e.actor_name ? { id: e.actor_id, name: e.actor_name } : null,
      action: e.action, entityType: e.entity_type, entityId: e.entity_id, requestId: e.request_id, diff: e.diff, chainSeq: e.chain_seq, hash: e.hash,
    }));
  });

  r.post('/api/v1/audit/verify', {
    config: { permission: 'audit:verify' },
    schema: { tags: ['audit'], operationId: 'verifyAuditChain', summary: 'Recompute the hash chain and report the first tampered event', response: { 200: VerifyResult, ...commonErrors } },
  }, async (req) => {
    assertCan(actorOf(req), 'audit:verify');
    return deps.audit.verify();
  });
}
