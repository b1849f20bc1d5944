import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Forbidden, Unauthenticated } from '../lib/errors.js';
import type { Credentials, IdentityService } from '../modules/identity/identity.service.js';
import { assertCan, type Actor, type Permission } from '../modules/identity/permissions.js';
import { safeEqual } from '../modules/identity/secrets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a caller needs; every /api route must name one or be marked public. */
    permission?: Permission;
    /** Reachable without credentials (login, logout, signed webhooks). */
    public?: boolean;
    /** Public and never looks at credentials (sign-in must work whatever stale cookies the browser holds). */
    ignoreCredentials?: boolean;
  }
  interface FastifyRequest {
    credentials: Credentials | null;
  }
}

export const SESSION_COOKIE = 'sg_session';
export const CSRF_COOKIE = 'sg_csrf';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The authenticated actor of a request; routes call this, so an unauthenticated path cannot reach a service. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.credentials) throw new Unauthenticated();
  return request.credentials.actor;
}

async function resolveCredentials(request: FastifyRequest, identity: IdentityService): Promise<Credentials | null> {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new Unauthenticated('The Authorization header must be "Bearer sg_…".', 'invalid_authorization');
    const creds = await identity.authenticateToken(match[1]!, request.id);
    if (!creds) throw new Unauthenticated('The API token is not valid.', 'invalid_token');
    return creds;
  }
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (!cookie) return null;
  const creds = await identity.authenticateSession(cookie, request.id);
  if (creds && UNSAFE.has(request.method)) {
    // double-submit: a cross-site form can send the cookie but cannot read it to set the header
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, creds.csrfToken ?? '')) {
      throw new Forbidden(`State-changing requests with a session cookie must send the ${CSRF_HEADER} header.`, 'csrf_failed');
    }
  }
  return creds;
}

/**
 * Authentication for every route, authorisation from the route's declared permission. A route
 * under /api that declares neither a permission nor `public` refuses to register.
 */
export function installAuth(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('credentials', null);

  app.addHook('onRoute', (route) => {
    const config = route.config as { permission?: Permission; public?: boolean } | undefined;
    if (route.url.startsWith('/api/') && !config?.permission && !config?.public) {
      throw new Error(`Route ${route.method} ${route.url} declares no permission`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (!request.routeOptions.url?.startsWith('/api/')) return;
    if (config.public) {
      if (config.ignoreCredentials) return;
      // invalid credentials are ignored on public routes, but a session write without its CSRF header is not
      request.credentials = await resolveCredentials(request, identity).catch((err) => {
        if ((err as { code?: string }).code === 'csrf_failed') throw err;
        return null;
      });
      return;
    }
    request.credentials = await resolveCredentials(request, identity);
    if (!request.credentials) throw new Unauthenticated();
    if (config.permission) assertCan(request.credentials.actor, config.permission);
  });
}
