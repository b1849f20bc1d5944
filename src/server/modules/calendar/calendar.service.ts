import type { Db } from '../../db/tx.js';
import type { Clock } from '../../lib/clock.js';
import { Invalid, NotFound, Unauthenticated } from '../../lib/errors.js';
import { isUuid, newId } from '../../lib/ids.js';
import type { AuditService } from '../audit/audit.service.js';
import { assertCan, can, systemActor, type Actor } from '../identity/permissions.js';
import { MAX_OCCURRENCE_RANGE_DAYS, type CalendarOccurrence } from '../windows/windows.schemas.js';
import { randomToken, sha256 } from '../identity/secrets.js';
import type { CalendarFilter, CalendarRepo } from './calendar.repo.js';
import { MAX_ITEMS_PER_KIND, MAX_RANGE_DAYS, type CalendarItem, type CalendarQuery, type CalendarRelease, type Feed } from './calendar.schemas.js';
import { toIcs } from './calendar.ics.js';

const FEED_PAST_DAYS = 90;
const FEED_FUTURE_DAYS = 365;

type Kind = CalendarItem['kind'];
const ALL_KINDS = ['release', 'phase', 'gate', 'window'] as const;
type QueryKind = (typeof ALL_KINDS)[number];

/** Feeds reach further back than window occurrences may be asked for: keep their most recent part. */
const windowsFrom = (f: CalendarFilter) => new Date(Math.max(f.from.getTime(), f.to.getTime() - MAX_OCCURRENCE_RANGE_DAYS * 86_400_000));

/** What the calendar needs from the windows module (WindowsService.occurrences). */
export interface WindowOccurrenceSource {
  occurrences(actor: Actor, q: { from: Date; to: Date; teamId?: string; serviceId?: string; environmentId?: string }): Promise<{ items: CalendarOccurrence[]; truncated: boolean }>;
}

export interface CalendarDeps {
  db: Db;
  repo: CalendarRepo;
  audit: AuditService;
  clock: Clock;
  windows: WindowOccurrenceSource;
  /** id-or-key lookups of the filter targets */
  lookup: {
    team(ref: string): Promise<{ id: string; key: string; name: string } | undefined>;
    service(ref: string): Promise<{ id: string; key: string; name: string } | undefined>;
    environment(ref: string): Promise<{ id: string } | undefined>;
  };
}

export function createCalendarService(deps: CalendarDeps) {
  const { db, repo, audit, clock, lookup, windows } = deps;

  /** Release items (JSON text from the database) and window occurrences, fetched side by side. */
  async function items(actor: Actor, f: CalendarFilter, kinds: readonly QueryKind[], perKind: number) {
    const releaseKinds = kinds.filter((k): k is Kind => k !== 'window');
    const [json, occ] = await Promise.all([
      releaseKinds.length ? repo.calendarJson(db, f, releaseKinds, perKind) : { items: [], releases: '', truncated: false },
      kinds.includes('window') ? windows.occurrences(actor, { ...f, from: windowsFrom(f) }) : { items: [], truncated: false },
    ]);
    return { ...json, windows: occ.items, truncated: json.truncated || occ.truncated };
  }

  async function resolve(kind: 'team' | 'service' | 'environment', ref: string | undefined, field: string) {
    if (!ref) return undefined;
    const found = await lookup[kind](ref);
    if (!found) throw new Invalid('unknown_reference', `The ${kind} '${ref}' does not exist.`, [{ path: field, message: `no such ${kind}` }]);
    return found.id;
  }

  return {
    async range(actor: Actor, q: CalendarQuery) {
      assertCan(actor, 'calendar:read');
      const from = new Date(q.from);
      const to = new Date(q.to);
      if (to <= from) throw new Invalid('validation_failed', 'to must be after from.', [{ path: 'to', message: 'must be after from' }], 400);
      if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
        throw new Invalid('validation_failed', `The range may span at most ${MAX_RANGE_DAYS} days.`, [{ path: 'to', message: `at most ${MAX_RANGE_DAYS} days after from` }], 400);
      }
      const filter: CalendarFilter = {
        from, to,
        teamId: await resolve('team', q.team, 'team'),
        serviceId: await resolve('service', q.service, 'service'),
        environmentId: await resolve('environment', q.environment, 'environment'),
      };
      const kinds = (q.kinds?.split(',') ?? ALL_KINDS) as QueryKind[];
      return { from: from.toISOString(), to: to.toISOString(), ...(await items(actor, filter, kinds, q.limit)) };
    },

    /** A secret-URL feed for calendar apps, which cannot send a session or a bearer token. */
    async createFeed(actor: Actor, input: { scope: 'team' | 'service'; ref: string; name?: string }): Promise<{ feed: Feed; token: string }> {
      assertCan(actor, 'calendar:read');
      if (!actor.id) throw new Unauthenticated();
      const target = await lookup[input.scope](input.ref);
      if (!target) throw new Invalid('unknown_reference', `The ${input.scope} '${input.ref}' does not exist.`, [{ path: 'ref', message: `no such ${input.scope}` }]);
      const token = randomToken(24);
      const id = newId();
      const name = input.name ?? `${target.name} releases`;
      await db.transaction().execute(async (tx) => {
        await repo.insertFeed(tx, {
          id, token_hash: sha256(token), scope: input.scope, name, created_by: actor.id!,
          team_id: input.scope === 'team' ? target.id : null, service_id: input.scope === 'service' ? target.id : null,
        });
        await audit.record(tx, actor, { action: 'calendar_feed.created', entityType: 'calendar_feed', entityId: id, after: { scope: input.scope, target: target.key, name } });
      });
      return { feed: { id, scope: input.scope, name, target, createdAt: clock.now().toISOString(), revokedAt: null }, token };
    },

    async listFeeds(actor: Actor): Promise<Feed[]> {
      assertCan(actor, 'calendar:read');
      const rows = await repo.feeds(db, can(actor, 'token:manage_all') ? null : actor.id);
      return rows.map((r) => ({ id: r.id, scope: r.scope, name: r.name, target: r.target, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
    },

    async revokeFeed(actor: Actor, id: string): Promise<void> {
      assertCan(actor, 'calendar:read');
      const feed = isUuid(id) ? await repo.feedById(db, id) : undefined;
      if (!feed || (feed.created_by !== actor.id && !can(actor, 'token:manage_all'))) throw new NotFound('Calendar feed', id);
      if (feed.revoked_at) return;
      await db.transaction().execute(async (tx) => {
        await repo.revokeFeed(tx, id, clock.now());
        await audit.record(tx, actor, { action: 'calendar_feed.revoked', entityType: 'calendar_feed', entityId: id, before: { revokedAt: null }, after: { revoked: true } });
      });
    },

    /** The ICS document of a feed, or null for an unknown or revoked token (the route answers 404 either way). */
    async ics(token: string, baseUrl: string): Promise<string | null> {
      if (token.length < 16 || token.length > 64) return null;
      const feed = await repo.feedByTokenHash(db, sha256(token));
      if (!feed || feed.revoked_at) return null;
      const now = clock.now();
      const filter: CalendarFilter = {
        from: new Date(now.getTime() - FEED_PAST_DAYS * 86_400_000),
        to: new Date(now.getTime() + FEED_FUTURE_DAYS * 86_400_000),
        teamId: feed.team_id ?? undefined,
        serviceId: feed.service_id ?? undefined,
      };
      // the feed's secret stands in for a session: read as the system, limited to the feed's team or service
      const found = await items(systemActor(`calendar feed ${feed.id}`), filter, ALL_KINDS, MAX_ITEMS_PER_KIND);
      const releases = JSON.parse(`[${found.releases}]`) as CalendarRelease[];
      return toIcs(feed.name, { items: JSON.parse(`[${found.items.join(',')}]`) as CalendarItem[], releases, windows: found.windows }, baseUrl, now);
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
