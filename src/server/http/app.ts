import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { installErrorHandling, sendProblem, toProblem } from './error-handler.js';
import { problem } from './problem.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface HttpOptions {
  logger: Logger;
  bodyLimit: number;
  metrics: Registry;
  webDir: string | null;
  version: string;
  /** Served over TLS (directly or behind a proxy): enables HSTS and upgrade-insecure-requests. */
  tls: boolean;
}

/** The Fastify instance with the cross-cutting parts; modules add their routes afterwards. */
export async function createHttpApp(opts: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    routerOptions: { maxParamLength: 200 },
    // undecodable URLs and over-long path parameters are answered before routing: make them problems too
    // (no hooks run for them, so the request id header is set here)
    frameworkErrors: (err, request, reply) => sendProblem(reply.header('x-request-id', request.id), toProblem(err, request)),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON Merge Patch bodies are JSON
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const duration = new Histogram({
    name: 'shipgate_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [opts.metrics],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, {
    hsts: opts.tls,
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: opts.tls ? [] : null,
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"], // Mantine injects style tags
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
      },
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Shipgate API', version: opts.version, description: 'Release and change management. Errors are RFC 9457 problem details with a stable `code`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API token sg_…' }, session: { type: 'apiKey', in: 'cookie', name: 'sg_session' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installErrorHandling(app);
  await registerWeb(app, opts.webDir);
  return app;
}

/** The built React app at /, with client-side routes falling back to index.html. */
async function registerWeb(app: FastifyInstance, webDir: string | null): Promise<void> {
  const index = webDir ? path.join(webDir, 'index.html') : null;
  const hasWeb = index !== null && fs.existsSync(index);
  if (hasWeb) await app.register(fastifyStatic, { root: webDir!, wildcard: false, index: false });
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0]!;
    const isApi = pathname === '/api' || pathname.startsWith('/api/');
    if (!isApi && hasWeb && request.method === 'GET' && !path.extname(pathname)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return sendProblem(reply, problem(404, 'not_found', 'Not found', `No route ${request.method} ${pathname}.`));
  });
}
