import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../http/auth.js';
import { commonErrors } from '../../http/problem.js';
import { Invalid } from '../../lib/errors.js';
import { CloudEventAttributes, IngestResult, type CloudEvent } from './cdevents.schemas.js';
import type { CdeventsService } from './cdevents.service.js';

const STRUCTURED = 'application/cloudevents+json';
const ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'subject'] as const;

const Headers = z.looseObject(Object.fromEntries(ATTRIBUTES.map((a) => [`ce-${a}`, z.string().optional().describe(`binary mode: the CloudEvents ${a} (${a === 'subject' ? 'optional' : 'required'})`)])));

const isStructured = (req: FastifyRequest) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === STRUCTURED;

/** The CloudEvent of either HTTP mode: attributes from ce-* headers (binary) or from the JSON envelope (structured). */
function cloudEventOf(req: FastifyRequest): CloudEvent {
  const structured = isStructured(req);
  const body = req.body as Record<string, unknown>;
  const attributes = structured ? body : Object.fromEntries(ATTRIBUTES.map((a) => [a, req.headers[`ce-${a}`]]));
  const parsed = CloudEventAttributes.safeParse(attributes);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: `${structured ? '' : 'ce-'}${i.path.join('.')}`, message: i.message }));
    const where = structured ? 'envelope' : 'headers';
    throw new Invalid('invalid_cloudevent', `The CloudEvents ${where} are not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}.`, errors, 400);
  }
  return { ...parsed.data, data: structured ? body.data : body };
}

export function cdeventsRoutes(app: FastifyInstance, deps: { cdevents: CdeventsService }): void {
  const { cdevents } = deps;
  // a plugin scope, so that only this route accepts the structured-mode content type
  app.register(async (scope) => {
    scope.addContentTypeParser(STRUCTURED, { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
    scope.withTypeProvider<ZodTypeProvider>().post('/api/v1/events/cdevents', {
      config: { permission: 'deployment:report' },
      schema: {
        tags: ['events'], operationId: 'ingestCdevent', summary: 'Receive a CDEvent (CloudEvents HTTP binding)',
        description: 'Binary mode: the CloudEvents attributes in ce-specversion (1.0), ce-id, ce-source, ce-type and ce-subject headers, the CDEvent as the application/json body. '
          + 'Structured mode: an application/cloudevents+json envelope whose data is the CDEvent. The CDEvent is checked against its CDEvents 0.5.1 schema (400 naming the path when it does not match) and kept. '
          + 'service.deployed and service.upgraded report a succeeded deployment; service.rolledback marks the latest succeeded deployment of the service and environment rolled back; other types are stored for later processing; '
          + 'types without a schema are ignored. A second event with the same source and id is a duplicate and is not processed again.',
        consumes: ['application/json', STRUCTURED],
        headers: Headers,
        body: z.record(z.string(), z.unknown()).describe('binary mode: the CDEvent; structured mode: the CloudEvent with the CDEvent in data'),
        response: { 202: IngestResult, ...commonErrors },
      },
    }, async (req, reply) => reply.status(202).send(await cdevents.ingest(actorOf(req), cloudEventOf(req))));
  });
}
