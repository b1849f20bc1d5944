import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import type { Role } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const HOUR = 3_600_000;

describe.each(targets)('bookings API on %s', (kind) => {
  let t: TestApp;
  // the service clock runs `offset` ms ahead of the wall clock; tokens expire after a day, so moves stay within hours
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  /** Hours from a whole-hour base 2–3 hours after the tests start: every booking lies in the future. */
  let base: number;
  const at = (hours: number) => new Date(base + hours * HOUR).toISOString();
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock: { now } });
    base = Math.ceil(Date.now() / HOUR) * HOUR + 2 * HOUR;
    for (const key of ['payments', 'storefront']) {
      expect((await t.request({ method: 'POST', url: '/api/v1/teams', body: { key, name: key } })).statusCode).toBe(201);
    }
    expect((await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'uat-approvers', name: 'UAT approvers' } })).statusCode).toBe(201);
    expect((await t.request({ method: 'POST', url: '/api/v1/teams/uat-approvers/members', body: { userId: t.users.approver.id } })).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/api/v1/teams/payments/members', body: { userId: t.users.developer.id } })).statusCode).toBe(200);
    const rel = await t.request({ method: 'POST', url: '/api/v1/releases', body: { key: 'pay-2030-1', name: 'Payments 2030.1', type: 'independent' } });
    expect(rel.statusCode, rel.body).toBe(201);
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const post = (url: string, body: unknown, role: Role = 'release_manager', headers: Record<string, string> = {}) => t.request({ method: 'POST', url, body, role, headers });
  const get = (url: string, role: Role = 'viewer') => t.request({ method: 'GET', url, role });
  async function environment(extra: Record<string, unknown> = {}): Promise<string> {
    const key = `env-${kind}-${n++}`;
    const res = await post('/api/v1/environments', { key, name: key.toUpperCase(), tier: 'testing', order: 10, ...extra }, 'admin');
    expect(res.statusCode, res.body).toBe(201);
    return key;
  }
  const book = (env: string, from: number, to: number, extra: Record<string, unknown> = {}, role: Role = 'release_manager') =>
    post('/api/v1/bookings', { environment: env, team: 'payments', start: at(from), end: at(to), purpose: 'Regression tests', ...extra }, role);
  async function booked(env: string, from: number, to: number, extra: Record<string, unknown> = {}, role: Role = 'release_manager') {
    const res = await book(env, from, to, extra, role);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  const approve = (id: string, role: Role = 'change_manager', body: unknown = {}) => post(`/api/v1/bookings/${id}/approve`, body, role);
  const revision = async () => (await sql<{ revision: string }>`select revision::text as revision from time_window_state`.execute(db())).rows[0]!.revision;
  const auditActions = async (id: string) => (await db().selectFrom('audit_events').select('action').where('entity_id', '=', id).orderBy('seq').execute()).map((a) => a.action);
  const events = async (id: string) =>
    (await sql<{ type: string }>`select data->>'type' as type from pgboss.job where name = 'domain-events' and data->>'entityId' = ${id} order by created_on, id`.execute(db())).rows.map((r) => r.type);
  /** A rejected request: the status and code, the named field, and no table changed. */
  async function rejected(send: () => Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>, status: number, code: string, path?: string) {
    const before = await fingerprint(db());
    const p = expectProblem((await send()) as never, status, code);
    if (path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return p;
  }

  it('environments carry a booking mode and an approver team, editable and validated', async () => {
    const key = await environment({ bookingMode: 'queue', bookingApproverTeam: 'uat-approvers' });
    const env = (await get(`/api/v1/environments/${key}`)).json();
    expect(env).toMatchObject({ bookingMode: 'queue', bookingApproverTeam: 'uat-approvers' });
    expect((await get(`/api/v1/environments/${(await environment())}`)).json()).toMatchObject({ bookingMode: 'refuse', bookingApproverTeam: null });
    const patched = await t.request({ method: 'PATCH', url: `/api/v1/environments/${key}`, body: { bookingMode: 'refuse', bookingApproverTeam: null }, headers: { 'if-match': '"1"' } });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ bookingMode: 'refuse', bookingApproverTeam: null, version: 2 });
    await rejected(() => t.request({ method: 'PATCH', url: `/api/v1/environments/${key}`, body: { bookingApproverTeam: 'nobody' } }), 422, 'unknown_reference', 'bookingApproverTeam');
    await rejected(() => post('/api/v1/environments', { key: 'env-bad', name: 'Bad', tier: 'testing', order: 1, bookingApproverTeam: 'nobody' }, 'admin'), 422, 'unknown_reference', 'bookingApproverTeam');
    await rejected(() => t.request({ method: 'PATCH', url: `/api/v1/environments/${key}`, body: { bookingMode: 'first-come' } }), 400, 'validation_failed', 'bookingMode');
  });

  it('requests a booking: 201, audited, an event, the window revision bumped; readable and listed with filters', async () => {
    const env = await environment();
    const rev = await revision();
    const res = await book(env, 2, 6, { release: 'pay-2030-1', start: at(2).replace('Z', '+00:00') });
    expect(res.statusCode, res.body).toBe(201);
    const b = res.json();
    expect(res.headers.location).toBe(`/api/v1/bookings/${b.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(b).toMatchObject({
      environment: { key: env }, team: { key: 'payments' }, release: { key: 'pay-2030-1' }, purpose: 'Regression tests',
      start: at(2), end: at(6), status: 'requested', queuePosition: null,
      requestedBy: { id: t.users.release_manager.id, name: 'Test release_manager' }, decidedBy: null, version: 1,
    });
    expect(new Date(b.start).getTime()).toBe(Date.parse(at(2)));
    expect((await get(`/api/v1/bookings/${b.id}`)).json()).toEqual(b);
    expect(await auditActions(b.id)).toEqual(['booking.requested']);
    expect(await events(b.id)).toEqual(['booking.requested']);
    expect(BigInt(await revision())).toBe(BigInt(rev) + 1n);

    const other = await booked(env, 10, 12, { team: 'storefront' });
    const list = async (q: string) => (await get(`/api/v1/bookings?${q}`)).json().items.map((x: { id: string }) => x.id);
    expect(await list(`environment=${env}`)).toEqual([b.id, other.id]);
    expect(await list(`environment=${env}&team=storefront`)).toEqual([other.id]);
    expect(await list(`environment=${env}&release=pay-2030-1`)).toEqual([b.id]);
    expect(await list(`environment=${env}&from=${encodeURIComponent(at(6))}`)).toEqual([other.id]);
    expect(await list(`environment=${env}&to=${encodeURIComponent(at(10))}`)).toEqual([b.id]);
    expect(await list(`environment=${env}&status=approved`)).toEqual([]);
    expect(await list(`environment=${env}&status=approved,requested,queued`)).toEqual([b.id, other.id]);
    expect((await get(`/api/v1/bookings?status=approved,lost`)).statusCode).toBe(400);
    expect(await list('environment=no-such-env')).toEqual([]);
    // pagination by start
    const first = (await get(`/api/v1/bookings?environment=${env}&limit=1`)).json();
    expect(first.items.map((x: { id: string }) => x.id)).toEqual([b.id]);
    const second = (await get(`/api/v1/bookings?environment=${env}&limit=1&cursor=${first.nextCursor}`)).json();
    expect(second).toEqual({ items: [expect.objectContaining({ id: other.id })], nextCursor: null });
  });

  it("refuse mode: an overlapping request is 409 booking_conflict naming the booking, and nothing is saved; touching periods are fine", async () => {
    const env = await environment();
    const first = await booked(env, 0, 8);
    const p = await rejected(() => book(env, 4, 12, { team: 'storefront' }, 'developer'), 409, 'booking_conflict');
    expect(p.detail).toContain('team payments');
    expect(p.detail).toContain('Test release_manager');
    expect((p.conflicts as { id: string }[]).map((c) => c.id)).toEqual([first.id]);
    // an approved one conflicts too
    expect((await approve(first.id)).statusCode).toBe(200);
    await rejected(() => book(env, 7, 9), 409, 'booking_conflict');
    expect((await book(env, 8, 10)).statusCode).toBe(201);
    expect((await book(env, -2, 0)).statusCode).toBe(201);
  });

  it('queue mode: overlapping requests queue in order; a rejection promotes the first that no longer overlaps, audited', async () => {
    const env = await environment({ bookingMode: 'queue' });
    const a = await booked(env, 0, 10);
    const q1 = await booked(env, 5, 15, { team: 'storefront' }, 'developer');
    const q2 = await booked(env, 8, 20, {}, 'admin');
    const far = await booked(env, 30, 40);
    expect([q1.status, q1.queuePosition, q2.status, q2.queuePosition, far.status]).toEqual(['queued', 1, 'queued', 2, 'requested']);
    expect(await auditActions(q1.id)).toEqual(['booking.queued']);
    expect(await events(q1.id)).toEqual(['booking.queued']);

    const conflicts = (await get(`/api/v1/bookings/conflicts?environment=${env}`)).json();
    expect(conflicts.items.map((c: { first: { id: string }; second: { id: string } }) => [c.first.id, c.second.id])).toEqual([[a.id, q1.id], [a.id, q2.id], [q1.id, q2.id]]);
    expect(conflicts.items[0]).toMatchObject({ environment: { key: env }, overlapStart: new Date(at(5)).toISOString(), overlapEnd: new Date(at(10)).toISOString(), first: { status: 'requested', team: { key: 'payments' } } });
    const page1 = (await get(`/api/v1/bookings/conflicts?environment=${env}&limit=2`)).json();
    expect(page1.items).toHaveLength(2);
    const page2 = (await get(`/api/v1/bookings/conflicts?environment=${env}&limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.items.map((c: { second: { id: string } }) => c.second.id)).toEqual([q2.id]);
    expect(page2.nextCursor).toBeNull();
    expect((await get(`/api/v1/bookings/conflicts?environment=${env}&from=${encodeURIComponent(at(15))}`)).json().items).toHaveLength(0);

    const rev = await revision();
    const res = await post(`/api/v1/bookings/${a.id}/reject`, { comment: 'Capacity is needed for the payments release' }, 'change_manager');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'rejected', decidedBy: { id: t.users.change_manager.id }, decisionComment: 'Capacity is needed for the payments release' });
    expect((await get(`/api/v1/bookings/${q1.id}`)).json()).toMatchObject({ status: 'requested', queuePosition: null, version: 2 });
    // still overlaps q1, which now claims its period
    expect((await get(`/api/v1/bookings/${q2.id}`)).json()).toMatchObject({ status: 'queued', queuePosition: 1 });
    expect(await auditActions(q1.id)).toEqual(['booking.queued', 'booking.promoted']);
    expect(await events(q1.id)).toEqual(['booking.queued', 'booking.promoted']);
    expect(BigInt(await revision())).toBeGreaterThanOrEqual(BigInt(rev) + 2n);

    // the requester withdraws q1: q2 moves up
    const cancel = await post(`/api/v1/bookings/${q1.id}/cancel`, undefined, 'developer');
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await get(`/api/v1/bookings/${q2.id}`)).json()).toMatchObject({ status: 'requested' });
  });

  it('decisions: segregation of duties (admins too), the approver team, only requested bookings, If-Match', async () => {
    const env = await environment({ bookingApproverTeam: 'uat-approvers' });
    const mine = await booked(env, 0, 4);
    // the requester never decides: a release manager holds booking:decide but requested this one
    await rejected(() => approve(mine.id, 'release_manager'), 403, 'segregation_of_duties');
    // not in the environment's approver team
    const p = await rejected(() => approve(mine.id, 'change_manager'), 403, 'not_an_approver');
    expect(p.approverTeam).toBe('uat-approvers');
    await rejected(() => approve(mine.id, 'admin'), 403, 'not_an_approver');
    // no booking:decide at all
    await rejected(() => approve(mine.id, 'developer'), 403, 'permission_denied');
    await rejected(() => post(`/api/v1/bookings/${mine.id}/approve`, {}, 'approver', { 'if-match': '"7"' }), 412, 'precondition_failed');
    const ok = await post(`/api/v1/bookings/${mine.id}/approve`, { comment: 'Go ahead' }, 'approver', { 'if-match': '"1"' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers.etag).toBe('"2"');
    expect(ok.json()).toMatchObject({ status: 'approved', decidedBy: { id: t.users.approver.id }, decisionComment: 'Go ahead', version: 2 });
    expect(await auditActions(mine.id)).toEqual(['booking.requested', 'booking.approved']);
    const again = await rejected(() => post(`/api/v1/bookings/${mine.id}/reject`, { comment: 'changed my mind' }, 'approver'), 409, 'state_transition_not_allowed');
    expect(again).toMatchObject({ currentStatus: 'approved', allowedNextStatuses: ['canceled'] });
    expect(again.detail).toContain('approved');

    // admins are not exempt from segregation of duties
    const open = await environment();
    const adminOwn = await booked(open, 0, 4, {}, 'admin');
    await rejected(() => approve(adminOwn.id, 'admin'), 403, 'segregation_of_duties');
    await rejected(() => post(`/api/v1/bookings/${adminOwn.id}/reject`, { comment: 'no' }, 'admin'), 403, 'segregation_of_duties');
    expect((await approve(adminOwn.id, 'approver')).statusCode).toBe(200);
  });

  it('approving re-checks that no approved booking overlaps', async () => {
    const env = await environment();
    const approved = await booked(env, 0, 6);
    expect((await approve(approved.id)).statusCode).toBe(200);
    // a requested booking overlapping it, as a queue-mode environment switched to refuse mode could leave behind
    const envId = (await get(`/api/v1/environments/${env}`)).json().id;
    const id = newId();
    await db().insertInto('environment_bookings').values({ id, environment_id: envId, team_id: null, release_id: (await get('/api/v1/releases/pay-2030-1')).json().id, purpose: 'x', starts_at: at(4), ends_at: at(8), status: 'requested', requested_by: null, updated_at: new Date() }).execute();
    const p = await rejected(() => approve(id), 409, 'booking_conflict');
    expect((p.conflicts as { id: string }[]).map((c) => c.id)).toEqual([approved.id]);
  });

  it('cancel: by the requester or booking:decide, only before the start; release: by the holder once started, ending it now', async () => {
    const env = await environment();
    const b = await booked(env, 0, 6, {}, 'developer');
    await rejected(() => post(`/api/v1/bookings/${b.id}/cancel`, undefined, 'viewer'), 403, 'permission_denied');
    const other = await booked(env, 10, 12, { team: 'storefront' }, 'release_manager');
    await rejected(() => post(`/api/v1/bookings/${other.id}/cancel`, undefined, 'developer'), 403, 'not_booking_requester');
    const byManager = await post(`/api/v1/bookings/${other.id}/cancel`, undefined, 'change_manager');
    expect(byManager.json()).toMatchObject({ status: 'canceled' });
    await rejected(() => post(`/api/v1/bookings/${other.id}/cancel`, undefined, 'change_manager'), 409, 'state_transition_not_allowed');

    expect((await approve(b.id)).statusCode).toBe(200);
    // not started: release is refused, naming cancel
    const early = await rejected(() => post(`/api/v1/bookings/${b.id}/release`, undefined, 'developer'), 409, 'state_transition_not_allowed');
    expect(early.allowedNextStatuses).toEqual(['canceled']);

    // 4 hours later (base is 2–3 hours ahead of the wall clock): the booking is under way
    offset = 4 * HOUR;
    try {
      await rejected(() => post(`/api/v1/bookings/${b.id}/cancel`, undefined, 'developer'), 409, 'state_transition_not_allowed');
      await rejected(() => post(`/api/v1/bookings/${b.id}/release`, undefined, 'developer', { 'if-match': '"1"' }), 412, 'precondition_failed');
      const rev = await revision();
      const res = await post(`/api/v1/bookings/${b.id}/release`, undefined, 'developer');
      expect(res.statusCode, res.body).toBe(200);
      const released = res.json();
      expect(released.status).toBe('released');
      expect(Math.abs(new Date(released.end).getTime() - now().getTime())).toBeLessThan(60_000);
      expect(released.releasedAt).toBe(released.end);
      expect(await auditActions(b.id)).toEqual(['booking.requested', 'booking.approved', 'booking.released']);
      expect(await events(b.id)).toEqual(['booking.requested', 'booking.approved', 'booking.released']);
      expect(BigInt(await revision())).toBe(BigInt(rev) + 1n);
      await rejected(() => post(`/api/v1/bookings/${b.id}/release`, undefined, 'developer'), 409, 'state_transition_not_allowed');
      // the environment is free again from now on
      expect((await book(env, 3, 5)).statusCode).toBe(201);

      // a member of the holding team may release it, though someone else requested it; a non-member may not
      const soon = { start: now().toISOString(), end: new Date(now().getTime() + HOUR / 2).toISOString() };
      const forPayments = await booked(await environment(), 0, 0, soon);
      const forStorefront = await booked(await environment(), 0, 0, { ...soon, team: 'storefront' });
      for (const x of [forPayments, forStorefront]) expect((await approve(x.id)).statusCode).toBe(200);
      offset += 60_000;
      await rejected(() => post(`/api/v1/bookings/${forStorefront.id}/release`, undefined, 'developer'), 403, 'not_booking_holder');
      expect((await post(`/api/v1/bookings/${forPayments.id}/release`, undefined, 'developer')).json()).toMatchObject({ status: 'released' });
      expect((await post(`/api/v1/bookings/${forStorefront.id}/release`, undefined, 'change_manager')).json()).toMatchObject({ status: 'released' });
    } finally {
      offset = 0;
    }
  });

  it('refuses bad input with a clear 4xx naming the field, and saves nothing', async () => {
    const env = await environment();
    const ok = { environment: env, team: 'payments', start: at(1), end: at(2), purpose: 'Performance tests' };
    await rejected(() => post('/api/v1/bookings', { ...ok, environment: 'mars' }), 422, 'unknown_reference', 'environment');
    await rejected(() => post('/api/v1/bookings', { ...ok, team: 'nobody' }), 422, 'unknown_reference', 'team');
    await rejected(() => post('/api/v1/bookings', { ...ok, release: 'no-such-release' }), 422, 'unknown_reference', 'release');
    await rejected(() => post('/api/v1/bookings', { ...ok, end: at(0) }), 422, 'invalid_dates', 'end');
    await rejected(() => post('/api/v1/bookings', { ...ok, end: at(1) }), 422, 'invalid_dates', 'end');
    await rejected(() => post('/api/v1/bookings', { ...ok, end: at(24 * 91) }), 422, 'invalid_dates', 'end');
    await rejected(() => post('/api/v1/bookings', { ...ok, start: new Date(Date.now() - HOUR).toISOString() }), 422, 'invalid_dates', 'start');
    const { team: _team, ...noHolder } = ok;
    const p = await rejected(() => post('/api/v1/bookings', noHolder), 422, 'validation_failed', 'team');
    expect(p.errors?.map((e) => e.path)).toContain('release');
    await rejected(() => post('/api/v1/bookings', { ...ok, purpose: '' }), 400, 'validation_failed', 'purpose');
    await rejected(() => post('/api/v1/bookings', { ...ok, start: '2030-02-30T00:00:00Z' }), 400, 'validation_failed', 'start');
    await rejected(() => post('/api/v1/bookings', { ...ok, start: '2030-01-01T00:00:00' }), 400, 'validation_failed', 'start');
    await rejected(() => post('/api/v1/bookings', { ...ok, holder: 'payments' }), 400, 'validation_failed', 'holder');

    const b = await booked(env, 1, 2);
    await rejected(() => post(`/api/v1/bookings/${b.id}/reject`, {}, 'change_manager'), 400, 'validation_failed', 'comment');
    await rejected(() => post(`/api/v1/bookings/${b.id}/reject`, { comment: '   ' }, 'change_manager'), 400, 'validation_failed', 'comment');
    await rejected(() => approve('00000000-0000-7000-8000-000000000000'), 404, 'not_found');
    await rejected(() => get('/api/v1/bookings/not-a-uuid'), 400, 'validation_failed');
    await rejected(() => get('/api/v1/bookings?cursor=abc'), 400, 'invalid_cursor');
    await rejected(() => get(`/api/v1/bookings/conflicts?cursor=${Buffer.from(JSON.stringify({ k: 'x', id: b.id, s: 'overlap' })).toString('base64url')}`), 400, 'invalid_cursor');
    // the environment still has bookings: it cannot be deleted
    const del = await rejected(() => t.request({ method: 'DELETE', url: `/api/v1/environments/${env}` }), 409, 'still_referenced');
    expect(del.detail).toContain('booking');
  });

  it('concurrent overlapping requests: in refuse mode at most one is live, in queue mode the queue positions are distinct', async () => {
    const env = await environment();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => book(env, i * 0.25, 4 + i * 0.25, {}, i % 2 ? 'developer' : 'release_manager')));
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expectProblem(r, 409, 'booking_conflict');
    const live = await db().selectFrom('environment_bookings as b').innerJoin('environments as e', 'e.id', 'b.environment_id').select('b.id').where('e.key', '=', env).execute();
    expect(live).toHaveLength(1);

    const queued = await environment({ bookingMode: 'queue' });
    const all = await Promise.all(Array.from({ length: 6 }, () => book(queued, 0, 4)));
    expect(all.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    const bodies = all.map((r) => r.json() as { status: string; queuePosition: number | null });
    expect(bodies.filter((b) => b.status === 'requested')).toHaveLength(1);
    expect(bodies.filter((b) => b.status === 'queued').map((b) => b.queuePosition).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('demo bookings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { config: { seedDemo: true } });
  });
  afterAll(async () => t?.close());

  it('UAT is booked and approved for Payments next week; Staging is requested by Storefront', async () => {
    const items = (await t.request({ method: 'GET', url: '/api/v1/bookings' })).json().items;
    expect(items.map((b: { environment: { key: string }; team: { key: string }; status: string }) => [b.environment.key, b.team.key, b.status])).toEqual([
      ['uat', 'payments', 'approved'], ['staging', 'storefront', 'requested'],
    ]);
    const uat = items[0];
    const days = (new Date(uat.start).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(0);
    expect(days).toBeLessThanOrEqual(8);
    expect(new Date(uat.start).getUTCDay()).toBe(1);
    expect(uat.requestedBy.name).not.toBe(uat.decidedBy.name);
  });
});
