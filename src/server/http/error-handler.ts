import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError, type FieldError } from '../lib/errors.js';
import { problem, type Problem } from './problem.js';

const PG_UNIQUE_VIOLATION = '23505';
const PG_FK_VIOLATION = '23503';
const PG_INVALID_TEXT = '22P02';
const PG_DATA_EXCEPTION = /^22[0-9A-Z]{3}$/;

function fromValidation(err: FastifyError): Problem {
  const errors: FieldError[] = [];
  if (hasZodFastifySchemaValidationErrors(err)) {
    for (const issue of err.validation) {
      const base = issue.instancePath.split('/').filter(Boolean);
      const keys = issue.keyword === 'unrecognized_keys' ? ((issue.params as { keys?: string[] }).keys ?? []) : [];
      if (keys.length) for (const key of keys) errors.push({ path: [...base, key].join('.'), message: 'unknown field' });
      else errors.push({ path: base.join('.'), message: issue.message ?? 'invalid' });
    }
  }
  const where = err.validationContext ?? 'body';
  const detail = errors.length
    ? `The request ${where} is not valid: ${errors.map((e) => `${e.path || where}: ${e.message}`).join('; ')}.`
    : `The request ${where} is not valid.`;
  return problem(400, 'validation_failed', 'Invalid request', detail, { errors });
}

/** Fastify's own client errors, each with a stable code. */
const FASTIFY_CODES: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json', 'The body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'malformed_json', 'The body is empty but the content type says JSON.'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The body is larger than the limit of this endpoint.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Send the body as application/json.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'The Content-Length header does not match the body.'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'Send the body as application/json.'],
  FST_ERR_BAD_URL: [400, 'malformed_url', 'The URL is not validly percent-encoded.'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'A path segment of the URL is too long.'],
};

export function toProblem(err: unknown, request: FastifyRequest): Problem {
  if (err instanceof DomainError) {
    return problem(err.status, err.code, err.title, err.message, { ...err.extra, ...(err.errors ? { errors: err.errors } : {}) });
  }
  const e = err as FastifyError & { code?: string };
  if (e?.validation) return fromValidation(e);
  const known = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return problem(known[0], known[1], 'Invalid request', known[2]);
  if (e?.code === PG_UNIQUE_VIOLATION) return problem(409, 'duplicate_key', 'Conflict', 'An object with the same unique key already exists.');
  if (e?.code === PG_FK_VIOLATION) return problem(409, 'still_referenced', 'Conflict', 'The object is referenced by another object.');
  if (e?.code === PG_INVALID_TEXT) return problem(400, 'validation_failed', 'Invalid request', 'A value has the wrong format.');
  // class 22 "data exception": a value sent by the client the database cannot take (NUL bytes, out-of-range numbers, bad timestamps)
  if (typeof e?.code === 'string' && PG_DATA_EXCEPTION.test(e.code)) return problem(400, 'validation_failed', 'Invalid request', 'A value has the wrong format or is out of range (text must not contain NUL characters).');
  if (e?.statusCode === 429) return problem(429, 'rate_limited', 'Too many requests', e.message);
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return problem(e.statusCode, 'bad_request', 'Invalid request', e.message);
  }
  if (isResponseSerializationError(err)) request.log.error({ err }, 'response did not match its schema');
  else request.log.error({ err }, 'unhandled error');
  return problem(500, 'internal_error', 'Internal error', `An unexpected error happened. Quote request id ${request.id} when reporting it.`);
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  const body = { ...p, instance: reply.request.url };
  if (p.status === 429 && typeof p.retryAfter === 'number') reply.header('retry-after', String(p.retryAfter));
  if (p.status === 401) reply.header('www-authenticate', `Bearer realm="shipgate", error="${p.code}"`);
  return reply.status(p.status).type('application/problem+json').serializer(JSON.stringify).send(body);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendProblem(reply, toProblem(err, request)));
}
