import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/lib/ids.js';
import type { ChangeStateValue, RiskLevel } from '../../src/server/db/schema.js';
import { systemActor, type Role } from '../../src/server/modules/identity/permissions.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { expectProblem } from '../helpers/api-harness.js';
import { targets } from '../helpers/db.js';

const HOUR = 3_600_000;
const AUTHORIZE = -3 as ChangeStateValue;
const INBOX = '/api/v1/approvals/inbox';

interface InboxItem {
  change: { id: string; number: string; riskLevel: string | null; requestedBy: { name: string } | null };
  round: number;
  requirements: { group: { key: string }; needed: number; approvals: number; dueAt: string | null; overdue: boolean; onBehalfOf: { id: string; name: string } | null }[];
  dueAt: string | null;
}

describe.each(targets)('approvals inbox on %s', (kind) => {
  let t: TestApp;
  let n = 0;
  let seq = 0;
  // the delegation tests move time forward and back
  const clock = { at: Date.now(), now: () => new Date(clock.at) };
  const people: Record<string, { id: string; email: string; token: string }> = {};

  async function person(name: string, role: Role) {
    const email = `${name}-${kind}@inbox.test`;
    const user = await t.sg.services.identity.createUser(systemActor('test'), { email, name, roles: [role] });
    const { secret } = await t.sg.services.identity.createToken({ ...systemActor('test'), id: user.id }, { name: 'test', expiresInDays: 1, userId: user.id });
    people[name] = { id: user.id, email, token: secret };
  }

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    await person('rita', 'change_manager'); // requests changes
    await person('sam', 'approver'); // assignee
    for (const a of ['ann', 'ben', 'cem', 'olga']) await person(a, 'approver');
    await person('dora', 'approver'); // a delegate, in no group
  });
  afterAll(async () => t?.close());

  const db = () => t.sg.database.db;
  const req = (method: string, url: string, who: string, body?: unknown) => t.request({ method, url, token: people[who]!.token, body });

  async function group(members: string[]) {
    const key = `inbox-${kind}-${n++}`;
    const res = await t.request({ method: 'POST', url: '/api/v1/approver-groups', role: 'admin', body: { key, name: key.toUpperCase(), members: members.map((m) => people[m]!.email) } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; key: string };
  }

  /** A change in Authorize, inserted directly, with increasing numbers so ties order predictably. */
  async function change(o: { requester?: string; assignee?: string; risk?: RiskLevel | null; override?: RiskLevel } = {}) {
    const id = newId();
    const number = `CHG${String(8_000_000 + seq++).padStart(7, '0')}`;
    await db().insertInto('change_requests').values({
      id, number, type: 'normal', state: AUTHORIZE, title: `Change ${number}`,
      requested_by: people[o.requester ?? 'rita']!.id, assignee_id: o.assignee ? people[o.assignee]!.id : null, risk_level: o.risk ?? null,
      risk_override: o.override ? JSON.stringify({ level: o.override, reason: 'test', by: null, byName: 'test', at: new Date().toISOString() }) : null,
      created_at: new Date(), updated_at: new Date(),
    }).execute();
    return { id, number };
  }

  async function rules(changeRef: string, list: { group: string; quorum: number | null; dueAt?: string }[]) {
    const res = await t.request({ method: 'PUT', url: `/api/v1/changes/${changeRef}/approval-rules`, role: 'change_manager', body: { rules: list } });
    expect(res.statusCode, res.body).toBe(200);
  }

  async function inbox(who: string, query = '') {
    const res = await req('GET', `${INBOX}${query}`, who);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: InboxItem[]; nextCursor: string | null };
  }
  const numbers = async (who: string) => (await inbox(who)).items.map((i) => i.change.number);
  const approve = async (changeRef: string, who: string) => {
    const res = await req('POST', `/api/v1/changes/${changeRef}/approvals`, who, { decision: 'approved' });
    expect(res.statusCode, res.body).toBe(201);
  };
  const delegate = async (from: string, to: string, startsIn: number, endsIn: number) => {
    const res = await req('POST', '/api/v1/delegations', from, { delegate: people[to]!.email, startsAt: new Date(clock.at + startsIn).toISOString(), endsAt: new Date(clock.at + endsIn).toISOString(), reason: 'holiday' });
    expect(res.statusCode, res.body).toBe(201);
  };

  it('a member sees a change their group must approve, with the requirement and its due date', async () => {
    const g = await group(['ann', 'ben']);
    const c = await change({ risk: 'high' });
    const due = new Date(clock.at + 5 * HOUR).toISOString();
    await rules(c.number, [{ group: g.key, quorum: 2, dueAt: due }]);
    const item = (await inbox('ann')).items.find((i) => i.change.number === c.number);
    expect(item).toEqual({
      change: { id: c.id, number: c.number, title: `Change ${c.number}`, type: 'normal', riskLevel: 'high', plannedStart: null, plannedEnd: null, requestedBy: { id: people.rita!.id, name: 'rita' } },
      round: 1,
      requirements: [{ group: { id: g.id, key: g.key, name: g.key.toUpperCase() }, needed: 2, approvals: 0, dueAt: due, overdue: false, onBehalfOf: null }],
      dueAt: due,
    });
  });

  it('segregation of duties: the requester and the assignee in the group do not see it; the other members do', async () => {
    const g = await group(['ann', 'rita', 'sam']);
    const c = await change({ requester: 'rita', assignee: 'sam' });
    await rules(c.id, [{ group: g.key, quorum: null }]);
    expect(await numbers('rita')).not.toContain(c.number);
    expect(await numbers('sam')).not.toContain(c.number);
    const item = (await inbox('ann')).items.find((i) => i.change.number === c.number);
    expect(item?.requirements[0]).toMatchObject({ needed: 1, approvals: 0 }); // the excluded do not count towards "every member"
    // nor through a delegation: the requester acting for a member, a delegate acting for the requester
    await delegate('ann', 'rita', -HOUR, HOUR);
    await delegate('rita', 'dora', -HOUR, HOUR);
    expect(await numbers('rita')).not.toContain(c.number);
    expect(await numbers('dora')).not.toContain(c.number);
  });

  it('a change disappears for who decided on it, and for everyone once its requirement is met', async () => {
    const g = await group(['ann', 'ben', 'cem']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 2 }]);
    await approve(c.number, 'ann');
    expect(await numbers('ann')).not.toContain(c.number);
    expect((await inbox('ben')).items.find((i) => i.change.number === c.number)?.requirements[0]).toMatchObject({ needed: 2, approvals: 1 });
    await approve(c.number, 'ben');
    expect(await numbers('cem')).not.toContain(c.number);
  });

  it('a change of another group does not appear', async () => {
    await group(['ann']);
    const other = await group(['cem']);
    const c = await change();
    await rules(c.id, [{ group: other.key, quorum: 1 }]);
    expect(await numbers('ann')).not.toContain(c.number);
    expect(await numbers('cem')).toContain(c.number);
  });

  it('a delegate sees it on behalf of the member during the delegation, not before nor after; not once the member decided', async () => {
    const g = await group(['ben', 'cem']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 2, dueAt: new Date(clock.at + 48 * HOUR).toISOString() }]);
    const start = clock.at;
    try {
      await delegate('ben', 'dora', HOUR, 3 * HOUR);
      expect(await numbers('dora')).not.toContain(c.number);
      clock.at = start + 2 * HOUR;
      const item = (await inbox('dora')).items.find((i) => i.change.number === c.number);
      expect(item?.requirements).toMatchObject([{ group: { key: g.key }, onBehalfOf: { id: people.ben!.id, name: 'ben' } }]);
      clock.at = start + 4 * HOUR;
      expect(await numbers('dora')).not.toContain(c.number);
    } finally {
      clock.at = start;
    }
    await delegate('cem', 'dora', -HOUR, HOUR);
    expect(await numbers('dora')).toContain(c.number);
    await approve(c.number, 'cem');
    expect(await numbers('dora')).not.toContain(c.number);
  });

  it('orders by the earliest due date (none last), then the effective risk, then the number; pages with a cursor', async () => {
    const g = await group(['olga']);
    const at = (h: number) => new Date(clock.at + h * HOUR).toISOString();
    const soon = await change({ risk: 'low' });
    await rules(soon.id, [{ group: g.key, quorum: 1, dueAt: at(2) }]);
    const high1 = await change({ risk: 'high' });
    const high2 = await change({ risk: 'high' });
    const overridden = await change({ risk: 'low', override: 'very_high' });
    for (const c of [high2, high1, overridden]) await rules(c.id, [{ group: g.key, quorum: 1, dueAt: at(5) }]);
    // two requirements of olga's: the earlier due one counts
    const second = await group(['olga']);
    const twoGroups = await change({ risk: 'very_high' });
    await rules(twoGroups.id, [{ group: g.key, quorum: 1, dueAt: at(30) }, { group: second.key, quorum: 1, dueAt: at(3) }]);
    const undated = await change({ risk: 'very_high' });
    await db().insertInto('change_approval_requirements').values({ id: newId(), change_id: undated.id, round: 1, group_id: g.id, quorum: 1, due_at: null, source: 'manual', created_at: new Date() }).execute();

    const expected = [soon, twoGroups, overridden, high1, high2, undated].map((c) => c.number);
    const all = await inbox('olga');
    expect(all.items.map((i) => i.change.number)).toEqual(expected);
    expect(all.nextCursor).toBeNull();
    expect(all.items[1]).toMatchObject({ dueAt: at(3), requirements: [{ group: { key: second.key }, dueAt: at(3) }, { group: { key: g.key }, dueAt: at(30) }] });
    expect(all.items[2]!.change.riskLevel).toBe('very_high');
    expect(all.items[5]).toMatchObject({ dueAt: null, requirements: [{ dueAt: null, overdue: false }] });

    const first = await inbox('olga', '?limit=1');
    expect(first.items.map((i) => i.change.number)).toEqual([soon.number]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const walked = [...first.items];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await inbox('olga', `?limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(page.items.length).toBeGreaterThan(0);
      walked.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(walked.map((i) => i.change.number)).toEqual(expected);
  });

  it('says when a requirement is overdue', async () => {
    const g = await group(['olga']);
    const c = await change();
    await rules(c.id, [{ group: g.key, quorum: 1, dueAt: new Date(clock.at + HOUR).toISOString() }]);
    const start = clock.at;
    try {
      clock.at = start + 2 * HOUR;
      const item = (await inbox('olga')).items.find((i) => i.change.number === c.number);
      expect(item?.requirements[0]?.overdue).toBe(true);
    } finally {
      clock.at = start;
    }
  });

  it('CAB agenda items carry, per requirement, who may still approve and who is excluded, and why', async () => {
    const g = await group(['ann', 'ben', 'rita']);
    const res = await t.request({
      method: 'POST', url: '/api/v1/cab', role: 'change_manager',
      body: { key: `inbox-cab-${kind}`, name: 'Inbox CAB', group: g.key, timeZone: 'UTC', firstMeeting: '2030-01-01T10:00', durationMinutes: 60, rrule: 'FREQ=WEEKLY;BYDAY=TU' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const c = await change({ requester: 'rita' });
    await rules(c.id, [{ group: g.key, quorum: 2 }]);
    await approve(c.id, 'ann');
    const agenda = await t.request({ method: 'GET', url: `/api/v1/cab/inbox-cab-${kind}/agenda`, role: 'viewer' });
    expect(agenda.statusCode, agenda.body).toBe(200);
    expect(agenda.json().items.map((i: { needs: unknown }) => i.needs)).toEqual([[{
      group: { id: g.id, key: g.key, name: g.key.toUpperCase() }, needed: 2, approvals: 1, met: false,
      mayApprove: [{ id: people.ben!.id, name: 'ben' }],
      excluded: [{ id: people.rita!.id, name: 'rita', reasons: ['requester'] }],
    }]]);
  });

  it('401 without credentials, 403 without change:approve, 400 for a forged cursor', async () => {
    expectProblem(await t.request({ method: 'GET', url: INBOX, role: null }), 401, 'unauthenticated');
    expectProblem(await t.request({ method: 'GET', url: INBOX, role: 'viewer' }), 403, 'permission_denied');
    expectProblem(await req('GET', `${INBOX}?cursor=not-a-cursor`, 'ann'), 400, 'invalid_cursor');
    expectProblem(await req('GET', `${INBOX}?limit=0`, 'ann'), 400, 'validation_failed');
  });
});
