import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';
import type { Db } from '../../db/tx.js';

/** Liveness, readiness and Prometheus metrics: unauthenticated, outside /api, for orchestrators and scrapers. */
export function systemRoutes(app: FastifyInstance, deps: { db: Db; metrics: Registry; isReady: () => boolean }): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    if (!deps.isReady()) return reply.status(503).send({ status: 'starting' });
    try {
      await sql`select 1`.execute(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'database unavailable' });
    }
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(deps.metrics.contentType);
    return deps.metrics.metrics();
  });
}
