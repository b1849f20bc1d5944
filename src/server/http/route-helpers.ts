import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { etagOf } from '../lib/versioning.js';

export const RefParams = z.strictObject({ ref: z.string().min(1).max(100).describe('id or key') });
export const IdParams = z.strictObject({ id: z.uuid() });
export const IfMatchHeaders = z.looseObject({ 'if-match': z.string().max(100).optional() });

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** 201 + Location + ETag for a created versioned object. */
export function created<T extends { id: string; version: number }>(reply: FastifyReply, location: string, body: T) {
  return reply.status(201).header('location', `${location}/${body.id}`).header('etag', etagOf(body.version)).send(body);
}

export function withEtag<T extends { version: number }>(reply: FastifyReply, body: T): T {
  reply.header('etag', etagOf(body.version));
  return body;
}
