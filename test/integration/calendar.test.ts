import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import { systemActor } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { targets } from '../helpers/db.js';

const day = (d: string) => new Date(`${d}T00:00:00Z`);

describe.each(targets)('calendar and ICS feeds on %s', (kind) => {
  let t: TestApp;
  let teamA: string;
  beforeAll(async () => {
    t = await startTestApp(kind);
    const admin = systemActor('fixture');
    teamA = (await t.sg.services.teams.create(admin, { key: 'web', name: 'Web' })).id;
    await t.sg.services.teams.create(admin, { key: 'data', name: 'Data' });
    const svc = await t.sg.services.services.create(admin, { key: 'shop', name: 'Shop', tier: 1 });
    const env = await t.sg.services.environments.create(admin, { key: 'prod', name: 'Production', tier: 'production', order: 50 });
    const db = t.sg.database.db;
    // releases straight into the tables: the calendar reads what release planning writes
    const r1 = newId();
    const r2 = newId();
    await db.insertInto('releases').values([
      { id: r1, key: 'shop-2026-02', name: 'Shop February', type: 'project', owner_team_id: teamA, planned_start: day('2026-02-01'), planned_end: day('2026-02-28'), updated_at: new Date(), release_version: '2026.2', description: '' },
      { id: r2, key: 'data-2026-06', name: 'Data June', type: 'independent', owner_team_id: null, planned_start: day('2026-06-01'), planned_end: day('2026-06-30'), updated_at: new Date(), release_version: '', description: '' },
    ]).execute();
    await db.insertInto('release_services').values({ release_id: r1, service_id: svc.id, service_version: '2.4.0' }).execute();
    const build = newId();
    const prodPhase = newId();
    await db.insertInto('release_phases').values([
      { id: build, release_id: r1, key: 'build', name: 'Build', position: 1, planned_start: day('2026-02-01'), planned_end: day('2026-02-14') },
      { id: prodPhase, release_id: r1, key: 'prod', name: 'Production rollout', position: 2, planned_start: day('2026-02-20'), planned_end: day('2026-02-28') },
    ]).execute();
    await db.insertInto('release_phase_environments').values({ phase_id: prodPhase, environment_id: env.id }).execute();
    await db.insertInto('release_gates').values({ id: newId(), release_id: r1, key: 'go-live', name: 'Go-live', after_phase_id: build, planned_at: day('2026-02-19') }).execute();
  });
  afterAll(async () => t?.close());

  const get = (qs: string, role: 'viewer' | 'admin' = 'viewer') => t.request({ method: 'GET', url: `/api/v1/calendar?${qs}`, role });

  it('returns the releases, phases and gates that overlap a range, each kind in time order, with their releases once', async () => {
    const res = await get('from=2026-02-10T00:00:00Z&to=2026-02-25T00:00:00Z');
    expect(res.statusCode).toBe(200);
    const items = res.json().items.map((i: { kind: string; title: string }) => `${i.kind}:${i.title}`);
    expect(items).toEqual(['release:Shop February', 'phase:Build', 'phase:Production rollout', 'gate:Go-live']);
    const phase = res.json().items.find((i: { title: string }) => i.title === 'Production rollout');
    expect(phase).toMatchObject({ kind: 'phase', environments: ['prod'], start: '2026-02-20T00:00:00.000Z', end: '2026-02-28T00:00:00.000Z', status: 'planned' });
    expect(res.json().releases).toEqual([
      { id: phase.releaseId, key: 'shop-2026-02', name: 'Shop February', type: 'project', status: 'draft', team: { id: teamA, key: 'web', name: 'Web' } },
    ]);
    expect(res.json().truncated).toBe(false);
  });

  it('answers at most `limit` items of each kind and says when there were more', async () => {
    const body = (await get('from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=1')).json();
    expect(body.items.map((i: { kind: string; title: string }) => `${i.kind}:${i.title}`)).toEqual(['release:Shop February', 'phase:Build', 'gate:Go-live']);
    expect(body.truncated).toBe(true);
    expect(body.releases.map((r: { key: string }) => r.key)).toEqual(['shop-2026-02']);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=4')).json().truncated).toBe(false);
  });

  it('escapes any text in the JSON it builds', async () => {
    const nasty = 'Quote " back\\slash \n newline \t tab \u0001 ctrl é ✓ </script>';
    const db = t.sg.database.db;
    await db.updateTable('release_phases').set({ name: nasty }).where('key', '=', 'build').execute();
    await db.updateTable('releases').set({ name: nasty }).where('key', '=', 'shop-2026-02').execute();
    try {
      const body = (await get('from=2026-02-10T00:00:00Z&to=2026-02-25T00:00:00Z')).json();
      expect(body.items.find((i: { kind: string }) => i.kind === 'phase').title).toBe(nasty);
      expect(body.releases[0].name).toBe(nasty);
    } finally {
      await db.updateTable('release_phases').set({ name: 'Build' }).where('key', '=', 'build').execute();
      await db.updateTable('releases').set({ name: 'Shop February' }).where('key', '=', 'shop-2026-02').execute();
    }
  });

  it('filters by team, service and environment (id or key), and by kind', async () => {
    const year = 'from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z';
    const keys = async (qs: string) => {
      const body = (await get(`${year}&${qs}`)).json() as { items: { kind: string; releaseId: string }[]; releases: { id: string; key: string }[] };
      return body.items.map((i) => `${i.kind}:${body.releases.find((r) => r.id === i.releaseId)!.key}`);
    };
    expect(await keys('team=data')).toEqual([]);
    expect((await keys(`team=${teamA}`)).length).toBe(4);
    expect(await keys('service=shop&kinds=release')).toEqual(['release:shop-2026-02']);
    expect(await keys('environment=prod&kinds=phase')).toEqual(['phase:shop-2026-02']);
    expect((await keys('kinds=release')).sort()).toEqual(['release:data-2026-06', 'release:shop-2026-02']);
  });

  it('refuses a reversed or too long range and unknown filters with 4xx naming the field', async () => {
    const reversed = await get('from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z');
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().errors[0].path).toBe('to');
    expect((await get('from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z')).statusCode).toBe(400);
    const unknown = await get('from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&team=nope');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors[0].path).toBe('team');
    expect((await get('from=yesterday&to=2026-02-01T00:00:00Z')).statusCode).toBe(400);
    expect((await get('to=2026-02-01T00:00:00Z')).statusCode).toBe(400);
    expect((await get('from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&limit=2001')).json().errors[0].path).toBe('limit');
  });

  it('merges time-window occurrences that apply to the filter, in the API and in ICS feeds', async () => {
    const admin = systemActor('fixture');
    const freeze = await t.sg.services.windows.create(admin, {
      name: 'Weekend freeze', kind: 'freeze', timeZone: 'Europe/Berlin', start: '2026-01-02T18:00', end: '2026-01-05T06:00',
      recurrence: { rrule: 'FREQ=WEEKLY;BYDAY=FR' }, scope: { services: ['shop'] },
    });
    try {
      const feb = 'from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z';
      const body = (await get(`${feb}&service=shop`)).json();
      expect(body.windows.map((o: { start: string }) => o.start)).toEqual([
        '2026-01-30T17:00:00.000Z', '2026-02-06T17:00:00.000Z', '2026-02-13T17:00:00.000Z', '2026-02-20T17:00:00.000Z', '2026-02-27T17:00:00.000Z',
      ]);
      expect(body.windows[0].window).toMatchObject({ id: freeze.id, kind: 'freeze', name: 'Weekend freeze' });
      expect((await get(`${feb}&kinds=release`)).json().windows).toEqual([]);
      expect((await get(`${feb}&team=data`)).json().windows).toEqual([]); // the data team owns no service in the freeze's scope

      const { url } = (await t.request({ method: 'POST', url: '/api/v1/calendar/feeds', role: 'viewer', body: { scope: 'service', ref: 'shop' } })).json();
      const vcalendar = new ICAL.Component(ICAL.parse((await t.sg.app.inject({ method: 'GET', url })).body));
      const freezes = vcalendar.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e)).filter((e) => e.summary === 'Freeze (no deployments): Weekend freeze');
      expect(freezes.length).toBeGreaterThanOrEqual(52);
      // Friday 18:00 to Monday 06:00 Berlin wall clock, whatever the daylight-saving offset that week
      for (const e of freezes) expect(e.endDate.toJSDate().getTime() - e.startDate.toJSDate().getTime()).toBeOneOf([59, 60, 61].map((h) => h * 3_600_000));
      expect(new Set(freezes.map((e) => e.uid)).size).toBe(freezes.length);
    } finally {
      await t.sg.services.windows.remove(admin, freeze.id);
    }
  });

  it('serves a valid RFC 5545 feed per team to calendar apps by secret URL, until revoked', async () => {
    const created = await t.request({ method: 'POST', url: '/api/v1/calendar/feeds', role: 'developer', body: { scope: 'team', ref: 'web' } });
    expect(created.statusCode).toBe(201);
    const { url, feed } = created.json();
    expect(url).toMatch(/^\/calendar\/feeds\/[\w-]{32}\.ics$/);

    // the feed window is relative to now: move the fixture release into it
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 7 * 86_400_000); // ICS has second precision
    await t.sg.database.db.updateTable('releases').set({ planned_start: soon, planned_end: new Date(soon.getTime() + 14 * 86_400_000) }).where('key', '=', 'shop-2026-02').execute();

    const ics = await t.sg.app.inject({ method: 'GET', url });
    expect(ics.statusCode).toBe(200);
    expect(ics.headers['content-type']).toContain('text/calendar');
    const vcalendar = new ICAL.Component(ICAL.parse(ics.body));
    expect(vcalendar.getFirstPropertyValue('prodid')).toContain('Shipgate');
    const events = vcalendar.getAllSubcomponents('vevent').map((e) => new ICAL.Event(e));
    const release = events.find((e) => e.summary === 'Release shop-2026-02');
    expect(release).toBeDefined();
    expect(release!.uid).toMatch(/^release-.+@shipgate$/);
    expect(release!.startDate.toJSDate().getTime()).toBe(soon.getTime());
    expect(events.every((e) => e.uid && e.startDate && e.endDate && e.endDate.compare(e.startDate) > 0)).toBe(true);
    expect(events.some((e) => e.summary.includes('Data June'))).toBe(false);
    expect(ics.body).toMatch(/\r\n/); // RFC 5545 lines end with CRLF

    // only the owner (or an admin) sees and revokes it
    expect((await t.request({ method: 'DELETE', url: `/api/v1/calendar/feeds/${feed.id}`, role: 'viewer' })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/calendar/feeds/${feed.id}`, role: 'developer' })).statusCode).toBe(204);
    const gone = await t.sg.app.inject({ method: 'GET', url });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('not_found');
    expect((await t.sg.app.inject({ method: 'GET', url: '/calendar/feeds/not-a-real-token-at-all.ics' })).statusCode).toBe(404);
  });

  it('refuses a feed for an unknown team or service', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/calendar/feeds', body: { scope: 'service', ref: 'nope' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].path).toBe('ref');
  });
});
