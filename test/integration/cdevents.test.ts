import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { actionOf, artifactVersion } from '../../src/server/modules/cdevents/cdevents.service.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

type Role = 'admin' | 'developer' | 'viewer';
/** Conformance examples are edited freely in the tests. */
type CdEvent = any;

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/cdevents');
/** The CDEvents 0.5.1 conformance examples, one per file. */
const conformance: [string, CdEvent][] = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()
  .map((f) => [f, JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'))]);
const example = (file: string): CdEvent => structuredClone(conformance.find(([f]) => f === file)![1]);

const INGEST = '/api/v1/events/cdevents';

describe('artifactVersion', () => {
  it.each([
    ['pkg:oci/myapp@sha256%3A0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427', 'sha256:0b31b1c02ff458ad9b7b81cbdf8f028bd54699fa151f221d1e8de6817db93427'],
    ['pkg:oci/checkout@sha256%3Aabc123?repository_url=ghcr.io/acme&tag=2.4.1', '2.4.1'],
    ['pkg:oci/checkout?Tag=v3', 'v3'],
    ['pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c', '234fd47e07d1004f0aed9c'],
    ['pkg:npm/%40angular/animation@12.3.1#src/lib', '12.3.1'],
    ['pkg:maven/org.acme/app@1.0%2Bbuild.7', '1.0+build.7'],
    ['pkg:generic/tool', 'pkg:generic/tool'],
    ['registry.example.com:5000/shop/checkout:1.2.0', '1.2.0'],
    ['registry.example.com:5000/shop/checkout:1.2.0@sha256:ff', '1.2.0'],
    ['checkout@sha256:ff00', 'sha256:ff00'],
    ['registry.example.com:5000/shop/checkout', 'registry.example.com:5000/shop/checkout'],
  ])('%s → %s', (artifact, version) => expect(artifactVersion(artifact)).toBe(version));

  it('maps types to what Shipgate does with them', () => {
    expect(actionOf('dev.cdevents.service.deployed.0.3.0')).toBe('deploy');
    expect(actionOf('dev.cdevents.service.upgraded.0.3.0')).toBe('deploy');
    expect(actionOf('dev.cdevents.service.rolledback.0.3.0')).toBe('rollback');
    expect(actionOf('dev.cdevents.service.removed.0.3.0')).toBe('remove');
    expect(actionOf('dev.cdevents.pipelinerun.finished.0.3.0')).toBe('store');
  });
});

describe.each(targets)('CDEvents over the CloudEvents HTTP binding on %s', (kind) => {
  let t: TestApp;
  let n = 0;
  const actor = systemActor('test');
  const uniq = (prefix: string) => `${prefix}-${process.pid.toString(36)}-${(n++).toString(36)}`;
  const db = () => t.sg.database.db;

  beforeAll(async () => {
    t = await startTestApp(kind);
    await t.sg.services.services.create(actor, { key: 'checkout', name: 'Checkout', tier: 1 });
    await t.sg.services.environments.create(actor, { key: 'production', name: 'Production', tier: 'production', order: 30 });
  });
  afterAll(async () => t?.close());

  /** A copy of the event with a fresh id, so each request is a new event. */
  const fresh = (event: CdEvent): CdEvent => ({ ...event, context: { ...event.context, id: uniq('ev') } });

  const binary = (event: CdEvent, opts: { role?: Role | null; headers?: Record<string, string> } = {}) =>
    t.request({
      method: 'POST', url: INGEST, role: opts.role === undefined ? 'developer' : opts.role, body: event,
      headers: {
        'ce-specversion': '1.0', 'ce-id': event.context.id, 'ce-source': event.context.source, 'ce-type': event.context.type,
        'ce-subject': event.subject.id, 'ce-time': event.context.timestamp, ...opts.headers,
      },
    });

  const structured = (event: CdEvent, envelope: Record<string, unknown> = {}) =>
    t.request({
      method: 'POST', url: INGEST, role: 'developer', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: {
        specversion: '1.0', id: event.context.id, source: event.context.source, type: event.context.type, subject: event.subject.id,
        time: event.context.timestamp, datacontenttype: 'application/json', data: event, ...envelope,
      },
    });

  const stored = async (id: string) => db().selectFrom('inbound_events').selectAll().where('id', '=', id).executeTakeFirst();

  const deployedEvent = (opts: { service?: string; environment?: string; artifactId: string; timestamp: string; type?: 'deployed' | 'upgraded' | 'rolledback' }) => {
    const e = fresh(example('service_deployed.json'));
    e.context.type = `dev.cdevents.service.${opts.type ?? 'deployed'}.0.3.0`;
    e.context.timestamp = opts.timestamp;
    e.subject = { id: opts.service ?? 'checkout', content: { environment: { id: opts.environment ?? 'production' }, artifactId: opts.artifactId } };
    return e;
  };

  const deploymentsOf = async (service: string) => (await t.request({ method: 'GET', url: `/api/v1/deployments?service=${service}`, role: 'viewer' })).json().items;
  const cellOf = async (service: string, env: string) => (await t.request({ method: 'GET', url: `/api/v1/inventory?service=${service}`, role: 'viewer' })).json().services[0]?.cells[env];

  it.each(conformance)('accepts %s in structured and in binary mode', async (file, event) => {
    const expected = file === 'service_deployed.json' ? 'applied' : 'stored';
    for (const send of [structured, binary]) {
      const res = await send(fresh(event));
      expect(res.statusCode, res.body).toBe(202);
      const body = res.json();
      expect(body).toMatchObject({ status: expected, type: event.context.type });
      const row = await stored(body.id);
      expect(row).toMatchObject({ kind: 'cdevents', source: event.context.source, type: event.context.type, subject: event.subject.id, outcome: expected });
      expect(row!.payload).toEqual({ ...event, context: { ...event.context, id: row!.event_id } });
    }
  });

  it('reports service.deployed as a succeeded deployment, visible in the list and the inventory; a replay is a duplicate', async () => {
    const event = deployedEvent({ artifactId: 'pkg:oci/checkout@sha256%3Aabc123?repository_url=ghcr.io/acme&tag=2.4.1', timestamp: '2026-05-04T10:00:00+02:00' });
    const res = await structured(event);
    expect(res.statusCode, res.body).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ status: 'applied', type: 'dev.cdevents.service.deployed.0.3.0' });
    expect(body.detail).toMatch(/^Deployment .* recorded: checkout 2\.4\.1 on production\.$/);

    const [d, ...others] = await deploymentsOf('checkout');
    expect(others).toEqual([]);
    expect(d).toMatchObject({
      service: { key: 'checkout' }, environment: { key: 'production' }, matched: true, deployedVersion: '2.4.1', status: 'succeeded',
      artifact: event.subject.content.artifactId, finishedAt: '2026-05-04T08:00:00.000Z', source: 'cdevents', externalId: body.id, reportedBy: { id: t.users.developer.id },
    });
    expect(await cellOf('checkout', 'production')).toEqual({ version: '2.4.1', since: '2026-05-04T08:00:00.000Z', deploymentId: d.id });
    expect(await stored(body.id)).toMatchObject({ outcome: 'applied', detail: body.detail });

    // the same (source, id) again, in either mode: acknowledged, not processed twice
    for (const send of [binary, structured]) {
      const again = await send(event);
      expect(again.statusCode, again.body).toBe(202);
      expect(again.json()).toMatchObject({ status: 'duplicate', id: body.id, type: body.type });
    }
    expect(await deploymentsOf('checkout')).toEqual([d]);
    expect((await db().selectFrom('inbound_events').select('id').where('event_id', '=', event.context.id).execute()).length).toBe(1);
  });

  it('processes concurrent deliveries of one event once', async () => {
    const service = uniq('svc');
    const event = deployedEvent({ service, artifactId: 'shop/api:7.0.0', timestamp: '2026-05-05T10:00:00Z' });
    const results = await Promise.all([binary(event), binary(event), structured(event)]);
    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect(results.map((r) => r.json().status).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1);
    const deployments = await deploymentsOf(service);
    expect(deployments).toHaveLength(1);
    // an unknown service is kept, unmatched, by the deployments module
    expect(deployments[0]).toMatchObject({ service: null, serviceRef: service, matched: false, deployedVersion: '7.0.0' });
  });

  it('reports service.upgraded, and marks the latest succeeded deployment rolled back on service.rolledback', async () => {
    const service = (await t.sg.services.services.create(actor, { key: uniq('svc'), name: 'Rolling', tier: 2 })).key;
    await binary(deployedEvent({ service, artifactId: 'shop/rolling:1.0.0', timestamp: '2026-05-01T10:00:00Z' }));
    const upgraded = await binary(deployedEvent({ service, artifactId: 'shop/rolling:1.1.0', timestamp: '2026-05-02T10:00:00Z', type: 'upgraded' }));
    expect(upgraded.json()).toMatchObject({ status: 'applied' });
    expect((await cellOf(service, 'production')).version).toBe('1.1.0');

    const rolled = await binary(deployedEvent({ service, artifactId: 'shop/rolling:1.0.0', timestamp: '2026-05-02T11:00:00Z', type: 'rolledback' }));
    expect(rolled.statusCode, rolled.body).toBe(202);
    expect(rolled.json()).toMatchObject({ status: 'applied', type: 'dev.cdevents.service.rolledback.0.3.0' });
    expect(rolled.json().detail).toMatch(/\(1\.1\.0\) .* marked rolled back\.$/);
    const list = await deploymentsOf(service);
    expect(list.map((d: { deployedVersion: string; status: string }) => [d.deployedVersion, d.status])).toEqual([['1.1.0', 'rolled_back'], ['1.0.0', 'succeeded']]);
    expect((await cellOf(service, 'production')).version).toBe('1.0.0');
  });

  it('records a rollback without a succeeded deployment as a rolled-back deployment', async () => {
    const service = uniq('svc');
    const res = await structured(deployedEvent({ service, environment: 'staging', artifactId: 'shop/x:2.0.0', timestamp: '2026-05-03T10:00:00Z', type: 'rolledback' }));
    expect(res.json()).toMatchObject({ status: 'applied' });
    expect(await deploymentsOf(service)).toMatchObject([{ serviceRef: service, environmentRef: 'staging', deployedVersion: '2.0.0', status: 'rolled_back', source: 'cdevents' }]);
  });

  it('keeps an event it cannot apply as stored, with the reason', async () => {
    const service = uniq('svc');
    const event = deployedEvent({ service, artifactId: `shop/${'x'.repeat(1100)}:1.0.0`, timestamp: '2026-05-03T10:00:00Z' });
    const res = await binary(event);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ status: 'stored' });
    expect(res.json().detail).toMatch(/^Stored but not applied: .*artifact/);
    expect(await stored(res.json().id)).toMatchObject({ outcome: 'stored', detail: res.json().detail });
    expect(await deploymentsOf(service)).toEqual([]);
  });

  it('stores service.removed without acting on it, and says so', async () => {
    const res = await binary(fresh(example('service_removed.json')));
    expect(res.json()).toMatchObject({ status: 'stored' });
    expect(res.json().detail).toMatch(/not supported/);
  });

  it('refuses an event that does not match its schema (400 naming the path) and stores nothing', async () => {
    const missingId = fresh(example('service_deployed.json'));
    const id = missingId.context.id;
    delete missingId.context.id;
    const wrongType = fresh(example('pipelinerun_started.json'));
    wrongType.subject.content.pipelineName = 42;
    const badTime = fresh(example('ticket_created.json'));
    badTime.context.timestamp = 'yesterday';
    const cases: [() => ReturnType<typeof binary>, string, string][] = [
      [() => binary(missingId, { headers: { 'ce-id': id } }), '/context/id', 'is required'],
      [() => structured(missingId, { id }), '/context/id', 'is required'],
      [() => binary(wrongType), '/subject/content/pipelineName', 'must be string'],
      [() => structured(badTime), '/context/timestamp', 'must match format "date-time"'],
    ];
    for (const [send, errorPath, message] of cases) {
      const before = await fingerprint(db());
      const body = expectProblem(await send(), 400, 'invalid_cdevent');
      expect(body.errors).toContainEqual({ path: errorPath, message });
      expect(body.detail).toContain(`${errorPath}: ${message}`);
      expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    }
  });

  it('refuses CloudEvents attributes that contradict the CDEvent', async () => {
    const event = fresh(example('build_started.json'));
    const before = await fingerprint(db());
    const body = expectProblem(await binary(event, { headers: { 'ce-id': 'other-id' } }), 400, 'cloudevent_mismatch');
    expect(body.errors).toEqual([{ path: '/context/id', message: 'must equal the CloudEvents attribute (other-id)' }]);
    expectProblem(await structured(event, { type: 'dev.cdevents.build.queued.0.3.0' }), 400, 'invalid_cdevent');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('ignores types without a CDEvents 0.5.1 schema, and keeps them as ignored', async () => {
    const event = fresh(example('build_started.json'));
    for (const type of ['com.example.build.started', 'dev.cdevents.build.started.0.9.0']) {
      const res = await binary(event, { headers: { 'ce-type': type, 'ce-id': uniq('other') } });
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ status: 'ignored', type });
      expect(await stored(res.json().id)).toMatchObject({ outcome: 'ignored', type });
    }
    const noData = await structured(event, { type: 'com.example.ping', id: uniq('ping'), data: undefined });
    expect(noData.json()).toMatchObject({ status: 'ignored', type: 'com.example.ping' });
  });

  it('refuses missing or invalid CloudEvents attributes (400) and stores nothing', async () => {
    const event = fresh(example('build_started.json'));
    const before = await fingerprint(db());
    const noHeaders = expectProblem(await t.request({ method: 'POST', url: INGEST, role: 'developer', body: event }), 400, 'invalid_cloudevent');
    expect(noHeaders.errors!.map((e) => e.path)).toEqual(['ce-specversion', 'ce-id', 'ce-source', 'ce-type']);
    expect(noHeaders.errors![1]).toEqual({ path: 'ce-id', message: 'required' });
    expect(expectProblem(await binary(event, { headers: { 'ce-specversion': '0.3' } }), 400, 'invalid_cloudevent').errors).toEqual([{ path: 'ce-specversion', message: 'must be 1.0' }]);
    expect(expectProblem(await structured(event, { id: undefined }), 400, 'invalid_cloudevent').errors).toEqual([{ path: 'id', message: 'required' }]);
    expectProblem(await t.request({ method: 'POST', url: INGEST, role: 'developer', body: '[1]', headers: { 'content-type': 'application/cloudevents+json' } }), 400, 'validation_failed');
    expectProblem(await t.request({ method: 'POST', url: INGEST, role: 'developer', body: '{"id":', headers: { 'content-type': 'application/cloudevents+json' } }), 400, 'malformed_json');
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
  });

  it('needs a token (401) and deployment:report (403)', async () => {
    const event = fresh(example('service_deployed.json'));
    const before = await fingerprint(db());
    expectProblem(await binary(event, { role: null }), 401, 'unauthenticated');
    expectProblem(await binary(event, { role: 'viewer' }), 403);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    expect((await sql<{ n: string }>`select count(*)::text as n from inbound_events where event_id = ${event.context.id}`.execute(db())).rows[0]!.n).toBe('0');
  });
});
