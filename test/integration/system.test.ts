import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('health, metrics, OpenAPI and bootstrap admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { config: { admin: { email: 'root@example.org', password: 'a long enough secret' } } });
  });
  afterAll(async () => t?.close());

  it('answers liveness and readiness without credentials', async () => {
    expect((await t.request({ method: 'GET', url: '/healthz', role: null })).json()).toEqual({ status: 'ok' });
    expect((await t.request({ method: 'GET', url: '/readyz', role: null })).json()).toEqual({ status: 'ready' });
  });

  it('exposes Prometheus metrics, including request durations by route', async () => {
    await t.request({ method: 'GET', url: '/api/v1/services' });
    const res = await t.request({ method: 'GET', url: '/metrics', role: null });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/shipgate_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/services",status="200"\} [1-9]/);
    expect(res.body).toContain('process_resident_memory_bytes');
  });

  it('publishes an OpenAPI 3.1 document covering every API route, and a browsable /docs', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json', role: null })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/services', '/api/v1/services/{ref}', '/api/v1/environments', '/api/v1/teams', '/api/v1/tokens', '/api/v1/audit', '/api/v1/auth/login']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(doc.paths['/api/v1/services'].post.operationId).toBe('createService');
    expect(doc.components.schemas.Problem).toBeDefined();
    const docs = await t.request({ method: 'GET', url: '/docs/', role: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('creates the administrator named by SHIPGATE_ADMIN_EMAIL / SHIPGATE_ADMIN_PASSWORD, once', async () => {
    const login = await t.sg.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'root@example.org', password: 'a long enough secret' } });
    expect(login.statusCode).toBe(200);
    expect(login.json().user.roles).toEqual(['admin']);
    const admins = await t.sg.database.db.selectFrom('users').select('id').where('email', '=', 'root@example.org').execute();
    expect(admins).toHaveLength(1);
  });
});
