import type { Executor } from '../../db/tx.js';
import { createWindowIndex, toLocal } from './engine/index.js';
import type { WindowDefinition } from './engine/types.js';
import type { IndexSource, RefJson, WindowsRepo } from './windows.repo.js';
import { windowRevision } from './windows.revision.js';

export type WindowIndex = ReturnType<typeof createWindowIndex>;

/** One process's view of every window and approved booking, and the names to show for the ids in them. */
export interface LoadedWindows {
  revision: string;
  index: WindowIndex;
  definitions: Map<string, WindowDefinition>;
  services: Map<string, RefJson>;
  environments: Map<string, RefJson>;
  teams: Map<string, RefJson>;
  releases: Map<string, RefJson>;
}

type Row = IndexSource['windows'][number];

export function definitionOf(row: Pick<Row, 'id' | 'name' | 'kind' | 'time_zone' | 'starts_local' | 'ends_local' | 'rrule' | 'exdates' | 'scope_all' | 'scope_service_tiers' | 'scope_tags'>, serviceIds: string[], environmentIds: string[]): WindowDefinition {
  return {
    id: row.id, name: row.name, kind: row.kind, timeZone: row.time_zone, start: row.starts_local, end: row.ends_local,
    rrule: row.rrule, exdates: row.exdates,
    scope: { all: row.scope_all, serviceIds, environmentIds, serviceTiers: row.scope_service_tiers, tags: row.scope_tags },
    holder: null,
  };
}

/** An approved booking as a one-off window on its environment; bookings are instants, so their wall clock is UTC. */
export function bookingDefinition(b: IndexSource['bookings'][number], name: string): WindowDefinition {
  return {
    id: b.id, name, kind: 'booking', timeZone: 'UTC',
    start: toLocal(b.starts_at.getTime(), 'UTC'), end: toLocal(b.ends_at.getTime(), 'UTC'),
    rrule: null, exdates: [],
    scope: { all: false, serviceIds: [], environmentIds: [b.environment_id], serviceTiers: [], tags: [] },
    holder: { teamId: b.team_id, releaseId: b.release_id },
    status: 'approved',
  };
}

/**
 * The in-memory evaluation index, rebuilt when the window revision in the database differs from the
 * one it was built at (one single-row query per use), so several processes agree without messaging.
 */
export function createWindowIndexCache(deps: { db: Executor; repo: Pick<WindowsRepo, 'indexSource'> }) {
  let current: LoadedWindows | null = null;
  let loading: { revision: string; promise: Promise<LoadedWindows> } | null = null;

  async function build(revision: string): Promise<LoadedWindows> {
    // the revision is read before the rows: a write in between makes the next use reload, never miss it
    const src = await deps.repo.indexSource(deps.db);
    const byId = (rows: RefJson[]) => new Map(rows.map((r) => [r.id, r]));
    const services = byId(src.services);
    const environments = byId(src.environments);
    const teams = byId(src.teams);
    const releases = byId(src.releases);
    const definitions = new Map<string, WindowDefinition>();
    for (const w of src.windows) definitions.set(w.id, definitionOf(w, w.service_ids, w.environment_ids));
    for (const b of src.bookings) {
      const env = environments.get(b.environment_id)?.key ?? b.environment_id;
      const holder = [b.team_id ? teams.get(b.team_id)?.key : null, b.release_id ? releases.get(b.release_id)?.key : null].filter(Boolean).join(' / ');
      definitions.set(b.id, bookingDefinition(b, `Booking of ${env}${holder ? ` by ${holder}` : ''}${b.purpose ? `: ${b.purpose}` : ''}`.slice(0, 200)));
    }
    return { revision, index: createWindowIndex([...definitions.values()]), definitions, services, environments, teams, releases };
  }

  return {
    async get(): Promise<LoadedWindows> {
      const revision = await windowRevision(deps.db);
      if (current && current.revision === revision) return current;
      // one rebuild per revision at a time; callers asking for the same revision share it
      if (!loading || loading.revision !== revision) {
        const promise = build(revision);
        loading = { revision, promise };
        promise.then(
          (loaded) => {
            if (!current || BigInt(loaded.revision) >= BigInt(current.revision)) current = loaded;
            if (loading?.promise === promise) loading = null;
          },
          () => {
            if (loading?.promise === promise) loading = null;
          },
        );
      }
      return loading.promise;
    },
    /** Drops the cached index (tests; a process that knows it wrote can also just let the revision tell). */
    invalidate() {
      current = null;
    },
  };
}

export type WindowIndexCache = ReturnType<typeof createWindowIndexCache>;
