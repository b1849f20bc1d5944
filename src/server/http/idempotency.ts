import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/tx.js';
import type { Clock } from '../lib/clock.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { Conflict, Invalid } from '../lib/errors.js';

const HEADER = 'idempotency-key';
import { IDEMPOTENCY_TTL_HOURS } from '../lib/retention.js';
/** A claim whose request never finished (crashed process) can be retried after this long. */
const STALE_CLAIM_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { principal: string; key: string } | null;
  }
}

const bodyHash = (body: unknown) => createHash('sha256').update(canonicalJson(body ?? null)).digest('hex');

/**
 * `Idempotency-Key` on POST: the first request claims the key; a retry with the same body gets
 * the stored response again, a retry with another body a 422. 5xx responses release the key so
 * the client can retry.
 */
export function installIdempotency(app: FastifyInstance, db: Db, clock: Clock): void {
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'POST') return;
    const key = request.headers[HEADER];
    if (key === undefined) return;
    if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
      throw new Invalid('invalid_idempotency_key', 'The Idempotency-Key header must be 1 to 255 characters.', [{ path: 'Idempotency-Key', message: '1 to 255 characters' }], 400);
    }
    // keys belong to an authenticated principal; anonymous requests (sign-in) are never stored or replayed
    if (!request.credentials?.actor.id) return;
    const principal = request.credentials.actor.id;
    const hash = bodyHash(request.body);
    const now = clock.now();
    const expiredBefore = new Date(now.getTime() - IDEMPOTENCY_TTL_HOURS * 3600_000);
    const staleBefore = new Date(now.getTime() - STALE_CLAIM_MS);

    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ principal, key, method: request.method, path: request.url, body_hash: hash, created_at: now })
      .onConflict((oc) =>
        oc.columns(['principal', 'key']).doUpdateSet({ method: request.method, path: request.url, body_hash: hash, status: null, response_body: null, response_headers: null, created_at: now })
          .where((eb) => eb.or([eb('idempotency_keys.created_at', '<', expiredBefore), eb.and([eb('idempotency_keys.status', 'is', null), eb('idempotency_keys.created_at', '<', staleBefore)])])),
      )
      .returning('key')
      .executeTakeFirst();
    if (claimed) {
      request.idempotency = { principal, key };
      return;
    }
    const existing = await db.selectFrom('idempotency_keys').selectAll().where('principal', '=', principal).where('key', '=', key).executeTakeFirstOrThrow();
    if (existing.body_hash !== hash || existing.path !== request.url || existing.method !== request.method) {
      throw new Invalid('idempotency_key_reused', `The Idempotency-Key '${key}' was already used with a different request (${existing.method} ${existing.path}). Use a new key for a new request.`);
    }
    if (existing.status === null) {
      throw new Conflict('idempotency_key_in_use', 'A request with this Idempotency-Key is still being processed; retry shortly.');
    }
    reply.header('idempotent-replayed', 'true');
    for (const [name, value] of Object.entries(existing.response_headers ?? {})) reply.header(name, value);
    return reply.status(existing.status).serializer((p: unknown) => p as string).send(existing.response_body ?? '');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = null;
    const where = db.deleteFrom('idempotency_keys').where('principal', '=', claim.principal).where('key', '=', claim.key);
    if (reply.statusCode >= 500) {
      await where.execute();
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'location', 'etag']) {
      const v = reply.getHeader(name);
      if (v !== undefined) headers[name] = String(v);
    }
    await db
      .updateTable('idempotency_keys')
      .set({ status: reply.statusCode, response_body: typeof payload === 'string' ? payload : payload == null ? '' : String(payload), response_headers: JSON.stringify(headers) })
      .where('principal', '=', claim.principal)
      .where('key', '=', claim.key)
      .execute();
    return payload;
  });
}
