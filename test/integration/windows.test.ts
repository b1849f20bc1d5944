import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import { bumpWindowRevision } from '../../src/server/modules/windows/windows.revision.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { changedTables, expectProblem, fingerprint } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

type Role = 'admin' | 'release_manager' | 'change_manager' | 'developer' | 'viewer' | 'auditor';

describe.each(targets)('windows API on %s', (kind) => {
  let t: TestApp;
  let teamId: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    for (const [key, tier, order] of [['staging', 'staging', 1], ['production', 'production', 2]] as const) {
      expect((await t.request({ method: 'POST', url: '/api/v1/environments', body: { key, name: key, tier, order } })).statusCode).toBe(201);
    }
    teamId = (await t.request({ method: 'POST', url: '/api/v1/teams', body: { key: 'payments', name: 'Payments' } })).json().id;
    for (const s of [
      { key: 'ledger', name: 'Ledger', tier: 1, tags: ['pci', 'sox'], ownerTeamId: teamId },
      { key: 'catalog', name: 'Catalog', tier: 2, tags: ['customer-facing'] },
      { key: 'orders-db', name: 'Orders database', tier: 2, tags: ['database'] },
    ]) {
      const res = await t.request({ method: 'POST', url: '/api/v1/services', body: s });
      expect(res.statusCode, res.body).toBe(201);
    }
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const req = (method: string, url: string, body?: unknown, role: Role = 'change_manager', headers: Record<string, string> = {}) =>
    t.request({ method, url, body, role, headers });
  /** A rejected request: the status and code, the named field, and no table changed. */
  async function rejected(send: () => ReturnType<TestApp['request']>, status: number, code: string, path?: string) {
    const before = await fingerprint(db());
    const res = await send();
    const p = expectProblem(res, status, code);
    if (path) expect(p.errors?.map((e) => e.path), JSON.stringify(p)).toContain(path);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    return p;
  }

  // Friday 29 March 2030 18:00 Berlin (CET) until Monday 06:00 (CEST: the clocks go forward on Sunday 31 March)
  const weekendFreeze = {
    name: 'Weekend deployment freeze', description: 'No deployments to production over the weekend', kind: 'freeze', timeZone: 'Europe/Berlin',
    start: '2030-03-29T18:00', end: '2030-04-01T06:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=FR' }, scope: { environments: ['production'] },
  };
  const yearEnd = {
    name: 'Year-end blackout', kind: 'blackout', timeZone: 'Europe/Berlin',
    start: '2030-12-20T00:00:00', end: '2031-01-02T00:00:00', recurrence: { rrule: 'FREQ=YEARLY' }, scope: { serviceTiers: [1] },
  };
  const dbMaintenance = {
    name: 'Orders database maintenance', kind: 'maintenance', timeZone: 'Europe/Berlin',
    start: '2030-04-07T02:00', end: '2030-04-07T04:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=SU' }, scope: { services: ['orders-db'] },
  };
  const ids: Record<string, string> = {};

  it('creates a recurring freeze: 201, Location, ETag, wall-clock times, bounds and the next occurrences across a DST change', async () => {
    const res = await req('POST', '/api/v1/windows', weekendFreeze);
    expect(res.statusCode, res.body).toBe(201);
    const w = res.json();
    ids.freeze = w.id;
    expect(res.headers.location).toBe(`/api/v1/windows/${w.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(w).toMatchObject({
      name: 'Weekend deployment freeze', kind: 'freeze', timeZone: 'Europe/Berlin', start: '2030-03-29T18:00:00', end: '2030-04-01T06:00:00',
      recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=FR', exdates: [] },
      bounds: { firstStart: '2030-03-29T17:00:00.000Z', lastEnd: null },
      scope: { all: false, services: [], environments: [{ key: 'production' }], serviceTiers: [], tags: [] },
      createdBy: { id: t.users.change_manager.id }, version: 1,
    });
    expect(w.nextOccurrences).toHaveLength(5);
    // 59 real hours over the spring-forward weekend, local times unchanged
    expect(w.nextOccurrences[0]).toEqual({ start: '2030-03-29T17:00:00.000Z', end: '2030-04-01T04:00:00.000Z', startLocal: '2030-03-29T18:00:00', endLocal: '2030-04-01T06:00:00' });
    expect(w.nextOccurrences[1]).toEqual({ start: '2030-04-05T16:00:00.000Z', end: '2030-04-08T04:00:00.000Z', startLocal: '2030-04-05T18:00:00', endLocal: '2030-04-08T06:00:00' });
    const got = await req('GET', `/api/v1/windows/${w.id}`, undefined, 'viewer');
    expect(got.statusCode).toBe(200);
    expect(got.headers.etag).toBe('"1"');
    expect(got.json()).toEqual(w);
  });

  it('converts RFC 3339 instants to the wall clock of the window zone', async () => {
    const res = await req('POST', '/api/v1/windows', { ...yearEnd, start: '2030-12-19T23:00:00Z', end: '2031-01-02T00:00:00+01:00' }, 'release_manager');
    expect(res.statusCode, res.body).toBe(201);
    ids.yearEnd = res.json().id;
    expect(res.json()).toMatchObject({ start: '2030-12-20T00:00:00', end: '2031-01-02T00:00:00', scope: { serviceTiers: [1] }, bounds: { lastEnd: null } });
    const m = await req('POST', '/api/v1/windows', dbMaintenance);
    expect(m.statusCode, m.body).toBe(201);
    ids.maintenance = m.json().id;
    expect(m.json().scope.services).toEqual([expect.objectContaining({ key: 'orders-db', name: 'Orders database' })]);
  });

  it('refuses bad definitions with a 4xx naming the field, and saves nothing', async () => {
    const post = (body: unknown) => () => req('POST', '/api/v1/windows', body);
    await rejected(post({ ...weekendFreeze, recurrence: { rrule: 'FREQ=SOMETIMES;BYDAY=FR' } }), 422, 'invalid_window', 'recurrence.rrule');
    await rejected(post({ ...weekendFreeze, timeZone: 'Mars/Olympus_Mons' }), 422, 'invalid_window', 'timeZone');
    await rejected(post({ ...weekendFreeze, end: '2030-03-29T17:00' }), 422, 'invalid_window', 'end');
    await rejected(post({ ...weekendFreeze, start: '2030-02-30T18:00' }), 422, 'invalid_window', 'start');
    await rejected(post({ ...weekendFreeze, start: '29.03.2030 18:00' }), 400, 'validation_failed', 'start');
    // the start is not a Friday, so it is not an occurrence of the rule
    await rejected(post({ ...weekendFreeze, start: '2030-03-28T18:00' }), 422, 'invalid_window', 'start');
    // occurrences a week apart cannot last eight days
    await rejected(post({ ...weekendFreeze, end: '2030-04-06T18:00' }), 422, 'invalid_window', 'end');
    await rejected(post({ ...weekendFreeze, recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=FR', exdates: ['not a date'] } }), 400, 'validation_failed', 'recurrence.exdates.0');
    await rejected(post({ ...weekendFreeze, scope: { environments: ['production', 'moon'] } }), 422, 'unknown_reference', 'scope.environments');
    await rejected(post({ ...weekendFreeze, scope: { services: ['nope'] } }), 422, 'unknown_reference', 'scope.services');
    await rejected(post({ ...weekendFreeze, scope: {} }), 422, 'invalid_scope', 'scope');
    await rejected(post({ ...weekendFreeze, scope: { all: true, serviceTiers: [1] } }), 422, 'invalid_scope', 'scope.all');
    await rejected(post({ ...weekendFreeze, kind: 'booking' }), 400, 'validation_failed', 'kind');
    await rejected(post({ ...weekendFreeze, colour: 'red' }), 400, 'validation_failed', 'colour');
    // timing and scope problems are reported together
    const both = await rejected(post({ ...weekendFreeze, timeZone: 'Nowhere/Land', scope: { services: ['nope'] } }), 422, 'invalid_window');
    expect(both.errors?.map((e) => e.path).sort()).toEqual(['scope.services', 'timeZone']);
  });

  it('previews the next occurrences without saving, or names what is wrong', async () => {
    const before = await fingerprint(db());
    const res = await req('POST', '/api/v1/windows/preview', { timeZone: 'America/New_York', start: '2030-11-01T01:30', end: '2030-11-01T02:30', recurrence: { rrule: 'FREQ=DAILY;COUNT=4', exdates: ['2030-11-02T01:30:00'] } }, 'viewer');
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p.occurrences.map((o: { startLocal: string }) => o.startLocal)).toEqual(['2030-11-01T01:30:00', '2030-11-03T01:30:00', '2030-11-04T01:30:00']);
    // 3 November 2030 01:30 happens twice in New York: the earlier (EDT) instant is taken
    expect(p.occurrences[1].start).toBe('2030-11-03T05:30:00.000Z');
    expect(p.bounds.lastEnd).toBe(p.occurrences[2].end);
    expect(changedTables(before, await fingerprint(db()))).toEqual([]);
    await rejected(() => req('POST', '/api/v1/windows/preview', { timeZone: 'Europe/Berlin', start: '2030-03-29T18:00', end: '2030-03-29T19:00', recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=XX' } }, 'viewer'), 422, 'invalid_window', 'recurrence.rrule');
  });

  it('lists with filters, text search, activeAt and stable cursors', async () => {
    const list = async (qs: string) => {
      const res = await req('GET', `/api/v1/windows${qs}`, undefined, 'viewer');
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { id: string; name: string }[]; nextCursor: string | null };
    };
    const names = async (qs: string) => (await list(qs)).items.map((w) => w.name);
    expect(await names('')).toEqual(['Orders database maintenance', 'Weekend deployment freeze', 'Year-end blackout']);
    expect(await names('?kind=freeze')).toEqual(['Weekend deployment freeze']);
    expect(await names('?q=YEAR')).toEqual(['Year-end blackout']);
    // the ledger (tier 1) is in scope of the blackout by tier and of the freeze (any service in production)
    expect(await names('?service=ledger')).toEqual(['Weekend deployment freeze', 'Year-end blackout']);
    expect(await names('?service=orders-db')).toEqual(['Orders database maintenance', 'Weekend deployment freeze']);
    expect(await names('?environment=staging')).toEqual(['Orders database maintenance', 'Year-end blackout']);
    expect(await names('?service=unknown')).toEqual([]);
    expect(await names('?activeAt=2030-04-06T12:00:00Z')).toEqual(['Weekend deployment freeze']);
    expect(await names('?activeAt=2030-04-03T12:00:00Z')).toEqual([]);
    expect(await names('?activeAt=2031-12-31T12:00:00%2B01:00&sort=-firstStart')).toEqual(['Year-end blackout']);
    for (const sort of ['name', '-name', 'firstStart', '-updatedAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await list(`?limit=1&sort=${sort}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.items.map((w) => w.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(3);
    }
    expect((await list('?sort=firstStart')).items.map((w) => w.name)[0]).toBe('Weekend deployment freeze');
    expectProblem(await req('GET', '/api/v1/windows?cursor=garbage'), 400, 'invalid_cursor');
    expectProblem(await req('GET', '/api/v1/windows?kind=booking'), 400, 'validation_failed');
  });

  it('evaluates: a freeze blocks deployments, not changes, with the next allowed slot', async () => {
    const evaluate = async (body: Record<string, unknown>) => {
      const res = await req('POST', '/api/v1/windows/evaluate', { service: 'ledger', environment: 'production', kind: 'deployment', ...body }, 'developer');
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const friday = { start: '2030-04-05T17:00:00Z', end: '2030-04-05T17:30:00Z' };
    const blocked = await evaluate(friday);
    expect(blocked.allowed).toBe(false);
    expect(blocked.windows).toEqual([expect.objectContaining({
      window: { id: ids.freeze, name: 'Weekend deployment freeze', kind: 'freeze' }, effect: 'blocks',
      occurrence: { start: '2030-04-05T16:00:00.000Z', end: '2030-04-08T04:00:00.000Z' }, scopeMatch: ['environment production'], override: null,
    })]);
    expect(blocked.windows[0].reason).toEqual(expect.any(String));
    expect(blocked.nextAllowed).toEqual({ start: '2030-04-08T04:00:00.000Z', end: '2030-04-08T04:30:00.000Z' });
    expect((await evaluate({ ...friday, kind: 'change' })).allowed).toBe(true);
    expect((await evaluate({ ...friday, environment: 'staging' })).allowed).toBe(true);
    // a freeze starting next week does not block this week
    expect((await evaluate({ start: '2030-03-27T10:00:00Z', end: '2030-03-27T11:00:00Z' })).allowed).toBe(true);
  });

  it('evaluates blackouts by service tier and maintenance windows by containment', async () => {
    const evaluate = async (body: Record<string, unknown>) => {
      const res = await req('POST', '/api/v1/windows/evaluate', { environment: 'staging', kind: 'change', ...body }, 'viewer');
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const christmas = { start: '2031-12-24T09:00:00Z', end: '2031-12-24T10:00:00Z' };
    const ledger = await evaluate({ service: 'ledger', ...christmas });
    expect(ledger.allowed).toBe(false);
    expect(ledger.windows[0]).toMatchObject({ window: { id: ids.yearEnd, kind: 'blackout' }, effect: 'blocks', scopeMatch: ['service tier 1'] });
    expect(ledger.nextAllowed.start).toBe('2032-01-01T23:00:00.000Z');
    expect((await evaluate({ service: 'catalog', ...christmas })).allowed).toBe(true);

    const inside = await evaluate({ service: 'orders-db', start: '2030-04-14T00:15:00Z', end: '2030-04-14T01:00:00Z' });
    expect(inside.allowed).toBe(true);
    expect(inside.windows).toEqual([expect.objectContaining({ window: expect.objectContaining({ id: ids.maintenance }), effect: 'allows', scopeMatch: ['service orders-db'] })]);
    const outside = await evaluate({ service: 'orders-db', start: '2030-04-15T10:00:00Z', end: '2030-04-15T11:00:00Z' });
    expect(outside.allowed).toBe(false);
    expect(outside.windows[0]).toMatchObject({ effect: 'outside', occurrence: null });
    expect(outside.nextAllowed).toEqual({ start: '2030-04-21T00:00:00.000Z', end: '2030-04-21T01:00:00.000Z' });
  });

  it('refuses evaluations of unknown services and environments and of empty ranges', async () => {
    const body = { service: 'ledger', environment: 'production', kind: 'change', start: '2030-04-05T17:00:00Z', end: '2030-04-05T18:00:00Z' };
    await rejected(() => req('POST', '/api/v1/windows/evaluate', { ...body, service: 'nope' }), 422, 'unknown_reference', 'service');
    await rejected(() => req('POST', '/api/v1/windows/evaluate', { ...body, environment: 'moon' }), 422, 'unknown_reference', 'environment');
    await rejected(() => req('POST', '/api/v1/windows/evaluate', { ...body, team: 'nope' }), 422, 'unknown_reference', 'team');
    await rejected(() => req('POST', '/api/v1/windows/evaluate', { ...body, end: body.start }), 422, 'invalid_range', 'end');
    await rejected(() => req('POST', '/api/v1/windows/evaluate', { ...body, start: '2030-04-05T17:00:00' }), 400, 'validation_failed', 'start');
  });

  it('overrides a freeze for one deployment, with a reason, audited and shown in the evaluation; only freezes', async () => {
    const url = `/api/v1/windows/${ids.freeze}/overrides`;
    await rejected(() => req('POST', url, { subjectType: 'deployment', subjectRef: 'DEP-42', reason: '' }), 400, 'validation_failed', 'reason');
    await rejected(() => req('POST', url, { subjectType: 'deployment', subjectRef: 'DEP-42', reason: 'Card fraud fix' }, 'release_manager'), 403, 'permission_denied');
    const p = await rejected(() => req('POST', `/api/v1/windows/${ids.yearEnd}/overrides`, { subjectType: 'change', subjectRef: 'CHG0000001', reason: 'urgent' }), 409, 'override_not_allowed');
    expect(p.detail).toContain('Only freezes can be overridden');
    expect(p.detail).toContain('blackout');
    await rejected(() => req('POST', `/api/v1/windows/${newId()}/overrides`, { subjectType: 'change', subjectRef: 'CHG0000001', reason: 'urgent' }), 404, 'not_found');

    const res = await req('POST', url, { subjectType: 'deployment', subjectRef: 'DEP-42', reason: 'Card fraud fix agreed with the CAB chair' });
    expect(res.statusCode, res.body).toBe(201);
    const o = res.json();
    expect(res.headers.location).toBe(`${url}/${o.id}`);
    expect(o).toMatchObject({ windowId: ids.freeze, subjectType: 'deployment', subjectRef: 'DEP-42', createdBy: { id: t.users.change_manager.id, name: 'Test change_manager' } });
    await rejected(() => req('POST', url, { subjectType: 'deployment', subjectRef: 'DEP-42', reason: 'again' }), 409, 'duplicate_override');

    const evalBody = { service: 'ledger', environment: 'production', kind: 'deployment', start: '2030-04-05T17:00:00Z', end: '2030-04-05T17:30:00Z' };
    const overridden = (await req('POST', '/api/v1/windows/evaluate', { ...evalBody, subject: { type: 'deployment', ref: 'DEP-42' } })).json();
    expect(overridden.allowed).toBe(true);
    expect(overridden.windows[0]).toMatchObject({ effect: 'overridden', override: { by: 'Test change_manager', reason: 'Card fraud fix agreed with the CAB chair' } });
    // only for that deployment
    expect((await req('POST', '/api/v1/windows/evaluate', { ...evalBody, subject: { type: 'deployment', ref: 'DEP-43' } })).json().allowed).toBe(false);

    const list = (await req('GET', url, undefined, 'viewer')).json();
    expect(list.items.map((x: { id: string }) => x.id)).toEqual([o.id]);
    expect((await req('DELETE', `${url}/${o.id}`, undefined, 'admin')).statusCode).toBe(204);
    await rejected(() => req('DELETE', `${url}/${o.id}`, undefined, 'admin'), 404, 'not_found');
    expect((await req('POST', '/api/v1/windows/evaluate', { ...evalBody, subject: { type: 'deployment', ref: 'DEP-42' } })).json().allowed).toBe(false);

    const events = (await req('GET', `/api/v1/audit?entityType=window&entityId=${ids.freeze}`, undefined, 'auditor')).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['window.override_removed', 'window.overridden', 'window.created']);
    expect(events[1].diff.after).toMatchObject({ subjectRef: 'DEP-42', reason: 'Card fraud fix agreed with the CAB chair' });
  });

  it('approved bookings reserve their environment for the holder; other statuses reserve nothing', async () => {
    const other = (await req('POST', '/api/v1/teams', { key: 'storefront', name: 'Storefront' }, 'admin')).json();
    const staging = (await req('GET', '/api/v1/environments/staging', undefined, 'viewer')).json();
    const insertBooking = async (status: string, start: string, end: string) => {
      await db().transaction().execute(async (tx) => {
        await sql`insert into environment_bookings (id, environment_id, team_id, purpose, starts_at, ends_at, status, updated_at)
          values (${newId()}, ${staging.id}, ${teamId}, 'Load test', ${start}, ${end}, ${status}, now())`.execute(tx);
        await bumpWindowRevision(tx);
      });
    };
    await insertBooking('approved', '2030-05-06T08:00:00Z', '2030-05-06T16:00:00Z');
    await insertBooking('requested', '2030-05-07T08:00:00Z', '2030-05-07T16:00:00Z');
    const evaluate = async (team: string, day: string) =>
      (await req('POST', '/api/v1/windows/evaluate', { service: 'catalog', environment: 'staging', kind: 'deployment', team, start: `${day}T10:00:00Z`, end: `${day}T11:00:00Z` })).json();
    const theirs = await evaluate(other.key, '2030-05-06');
    expect(theirs.allowed).toBe(false);
    expect(theirs.windows[0]).toMatchObject({ window: { kind: 'booking' }, effect: 'blocks', scopeMatch: ['environment staging'] });
    expect(theirs.windows[0].window.name).toContain('payments');
    expect(theirs.nextAllowed).toEqual({ start: '2030-05-06T16:00:00.000Z', end: '2030-05-06T17:00:00.000Z' });
    expect((await evaluate('payments', '2030-05-06')).windows[0]).toMatchObject({ effect: 'held_by_you' });
    expect((await evaluate(other.key, '2030-05-07')).allowed).toBe(true);

    const occ = (await req('GET', '/api/v1/windows/occurrences?from=2030-05-01T00:00:00Z&to=2030-06-01T00:00:00Z&kind=booking', undefined, 'viewer')).json();
    expect(occ.items).toHaveLength(1);
    expect(occ.items[0]).toMatchObject({ window: { kind: 'booking', holder: { team: { key: 'payments' }, release: null }, scope: { environments: [{ key: 'staging' }] } }, start: '2030-05-06T08:00:00.000Z' });
    const forTeam = await t.sg.services.windows.occurrences({ ...(await import('../../src/server/modules/identity/permissions.js')).systemActor('test'), roles: ['viewer'] }, {
      from: new Date('2030-05-01T00:00:00Z'), to: new Date('2030-05-08T00:00:00Z'), teamId: other.id,
    });
    // the other team owns no service and holds no booking
    expect(forTeam.items).toEqual([]);
  });

  it('sees windows changed by another process: the index reloads when the revision moves', async () => {
    const body = { service: 'ledger', environment: 'production', kind: 'deployment', start: '2030-04-05T17:00:00Z', end: '2030-04-05T17:30:00Z' };
    expect((await req('POST', '/api/v1/windows/evaluate', body)).json().windows[0].window.name).toBe('Weekend deployment freeze');
    await db().transaction().execute(async (tx) => {
      await sql`update time_windows set name = 'Renamed elsewhere' where id = ${ids.freeze}`.execute(tx);
      await bumpWindowRevision(tx);
    });
    expect((await req('POST', '/api/v1/windows/evaluate', body)).json().windows[0].window.name).toBe('Renamed elsewhere');
    await db().transaction().execute(async (tx) => {
      await sql`update time_windows set name = 'Weekend deployment freeze' where id = ${ids.freeze}`.execute(tx);
      await bumpWindowRevision(tx);
    });
  });

  it('lists occurrences for calendars in a bounded range', async () => {
    const get = (qs: string) => req('GET', `/api/v1/windows/occurrences${qs}`, undefined, 'viewer');
    const res = await get('?from=2030-03-25T00:00:00Z&to=2030-04-15T00:00:00Z');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.truncated).toBe(false);
    expect(body.items.map((o: { window: { kind: string }; startLocal: string }) => `${o.window.kind} ${o.startLocal}`)).toEqual([
      'freeze 2030-03-29T18:00:00', 'freeze 2030-04-05T18:00:00', 'maintenance 2030-04-07T02:00:00', 'freeze 2030-04-12T18:00:00', 'maintenance 2030-04-14T02:00:00',
    ]);
    expect(body.items[0].window).toMatchObject({ id: ids.freeze, timeZone: 'Europe/Berlin', scope: { environments: [{ key: 'production' }] }, holder: null });
    const maint = (await get('?from=2030-03-25T00:00:00Z&to=2030-04-15T00:00:00Z&kind=maintenance,blackout')).json().items;
    expect(maint).toHaveLength(2);
    expect((await get('?from=2030-03-25T00:00:00Z&to=2030-04-15T00:00:00Z&environment=staging')).json().items.map((o: { window: { kind: string } }) => o.window.kind)).toEqual(['maintenance', 'maintenance']);
    expect((await get('?from=2030-12-01T00:00:00Z&to=2031-01-01T00:00:00Z&service=catalog&kind=blackout')).json().items).toEqual([]);
    expect((await get('?from=2030-12-01T00:00:00Z&to=2031-01-01T00:00:00Z&service=ledger&kind=blackout')).json().items).toHaveLength(1);
    expectProblem(await get('?from=2030-01-01T00:00:00Z&to=2031-03-01T00:00:00Z'), 400, 'validation_failed');
    expectProblem(await get('?from=2030-02-01T00:00:00Z&to=2030-01-01T00:00:00Z'), 400, 'validation_failed');
    expectProblem(await get('?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z&service=nope'), 422, 'unknown_reference');
  });

  it('patches with JSON Merge Patch and If-Match; scope dimensions merge, null clears', async () => {
    const url = `/api/v1/windows/${ids.maintenance}`;
    const current = (await req('GET', url)).json();
    const res = await req('PATCH', url, { description: 'Vacuum and minor upgrades', scope: { environments: ['production'] }, recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=SU', exdates: ['2030-04-14T02:00'] } }, 'change_manager', { 'if-match': `"${current.version}"` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers.etag).toBe(`"${current.version + 1}"`);
    const w = res.json();
    expect(w).toMatchObject({ description: 'Vacuum and minor upgrades', version: current.version + 1, recurrence: { exdates: ['2030-04-14T02:00:00'] } });
    expect(w.scope.services.map((s: { key: string }) => s.key)).toEqual(['orders-db']);
    expect(w.scope.environments.map((s: { key: string }) => s.key)).toEqual(['production']);
    await rejected(() => req('PATCH', url, { name: 'Stale' }, 'change_manager', { 'if-match': `"${current.version}"` }), 412, 'precondition_failed');
    await rejected(() => req('PATCH', url, { scope: { services: null, environments: null } }), 422, 'invalid_scope', 'scope');
    await rejected(() => req('PATCH', url, { timeZone: 'Europe/Nowhere' }), 422, 'invalid_window', 'timeZone');
    await rejected(() => req('PATCH', url, { name: 'x' }, 'developer'), 403, 'permission_denied');
    const cleared = (await req('PATCH', url, { description: null, recurrence: null, scope: { environments: null } })).json();
    expect(cleared).toMatchObject({ description: '', recurrence: null, bounds: { lastEnd: '2030-04-07T02:00:00.000Z' }, scope: { environments: [] } });
    const events = (await req('GET', `/api/v1/audit?entityType=window&entityId=${ids.maintenance}`, undefined, 'auditor')).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['window.updated', 'window.updated', 'window.created']);
    expect(events[1].diff).toMatchObject({ before: { description: '' }, after: { description: 'Vacuum and minor upgrades' } });
  });

  it('a service or environment named by a window cannot be deleted; the window can', async () => {
    const p = await rejected(() => req('DELETE', '/api/v1/services/orders-db', undefined, 'admin'), 409, 'still_referenced');
    expect(p.detail).toContain('Orders database maintenance');
    const e = await rejected(() => req('DELETE', '/api/v1/environments/production', undefined, 'admin'), 409, 'still_referenced');
    expect(e.detail).toContain('Weekend deployment freeze');
    await rejected(() => req('DELETE', `/api/v1/windows/${ids.maintenance}`, undefined, 'change_manager', { 'if-match': '"1"' }), 412, 'precondition_failed');
    expect((await req('DELETE', `/api/v1/windows/${ids.maintenance}`)).statusCode).toBe(204);
    expectProblem(await req('GET', `/api/v1/windows/${ids.maintenance}`), 404, 'not_found');
    expect((await req('DELETE', '/api/v1/services/orders-db', undefined, 'admin')).statusCode).toBe(204);
    const events = (await req('GET', `/api/v1/audit?entityType=window&entityId=${ids.maintenance}`, undefined, 'auditor')).json().items;
    expect(events[0].action).toBe('window.deleted');
    const outbox = await sql<{ type: string }>`select data->>'type' as type from pgboss.job where name = 'domain-events' and data->>'entityId' = ${ids.maintenance}`.execute(db());
    expect(outbox.rows.map((r) => r.type).sort()).toEqual(['window.created', 'window.deleted', 'window.updated', 'window.updated']);
  });
});
