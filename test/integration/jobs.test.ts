import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';
import { DOMAIN_EVENTS_QUEUE } from '../../src/server/jobs/outbox.js';

const jobsIn = async (t: TestApp, queue: string, marker: string) => {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = ${queue} and data->>'marker' = ${marker}`.execute(t.sg.database.db);
  return rows[0]!.n;
};

describe.each(targets)('transactional outbox on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { role: 'api' }); // no worker: jobs stay where they were put
  });
  afterAll(async () => t?.close());

  it('keeps a job sent inside a transaction that commits', async () => {
    await t.sg.database.db.transaction().execute(async (tx) => {
      await t.sg.queue.send(tx, DOMAIN_EVENTS_QUEUE, { marker: 'committed' });
    });
    expect(await jobsIn(t, DOMAIN_EVENTS_QUEUE, 'committed')).toBe(1);
  });

  it('drops a job sent inside a transaction that rolls back', async () => {
    await expect(
      t.sg.database.db.transaction().execute(async (tx) => {
        await t.sg.queue.send(tx, DOMAIN_EVENTS_QUEUE, { marker: 'rolled-back' });
        throw new Error('domain rule failed after enqueue');
      }),
    ).rejects.toThrow('domain rule failed');
    expect(await jobsIn(t, DOMAIN_EVENTS_QUEUE, 'rolled-back')).toBe(0);
  });

  it('enqueues a domain event with every committed service mutation and none for a refused one', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'outboxed', name: 'Outboxed', tier: 2 } });
    expect(created.statusCode).toBe(201);
    const refused = await t.request({ method: 'POST', url: '/api/v1/services', body: { key: 'outboxed', name: 'Again', tier: 2 } });
    expect(refused.statusCode).toBe(409);
    const { rows } = await sql<{ type: string }>`select data->>'type' as type from pgboss.job where name = ${DOMAIN_EVENTS_QUEUE} and data->>'entityId' = ${created.json().id}`.execute(t.sg.database.db);
    expect(rows.map((r) => r.type)).toEqual(['service.created']);
  });
});

describe.each(targets)('workers on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { role: 'all' });
  });
  afterAll(async () => t?.close());

  it('process committed domain events after commit', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/environments', body: { key: 'prod', name: 'Production', tier: 'production', order: 50 } });
    expect(res.statusCode).toBe(201);
    expect(res.json().changeControlled).toBe(true);
    const deadline = Date.now() + 20_000;
    let state = '';
    while (Date.now() < deadline) {
      const { rows } = await sql<{ state: string }>`select state from pgboss.job where name = ${DOMAIN_EVENTS_QUEUE} and data->>'entityId' = ${res.json().id}`.execute(t.sg.database.db);
      state = rows[0]?.state ?? '';
      if (state === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(state).toBe('completed');
    const metrics = await t.sg.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/shipgate_domain_events_total\{type="environment.created"\} 1/);
  });
});
