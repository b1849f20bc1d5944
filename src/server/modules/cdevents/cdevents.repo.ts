import type { InboundEventOutcome } from '../../db/schema.js';
import type { Executor } from '../../db/tx.js';

export interface InboundEventValues {
  id: string;
  source: string;
  event_id: string;
  type: string;
  subject: string | null;
  payload: unknown;
  outcome: InboundEventOutcome;
  detail: string;
  received_at: Date;
}

export interface InboundEventRef {
  id: string;
  type: string;
}

export function createCdeventsRepo() {
  return {
    /** Inserts the event unless one with the same (source, event_id) exists; false for a replay (also when a concurrent one won). */
    async insertIfAbsent(ex: Executor, row: InboundEventValues): Promise<boolean> {
      const inserted = await ex
        .insertInto('inbound_events')
        .values({ ...row, kind: 'cdevents', payload: JSON.stringify(row.payload ?? null) })
        .onConflict((oc) => oc.columns(['kind', 'source', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async findBySourceId(ex: Executor, source: string, eventId: string): Promise<InboundEventRef | undefined> {
      return ex.selectFrom('inbound_events').select(['id', 'type']).where('kind', '=', 'cdevents').where('source', '=', source).where('event_id', '=', eventId).executeTakeFirst();
    },

    async setOutcome(ex: Executor, id: string, outcome: InboundEventOutcome, detail: string): Promise<void> {
      await ex.updateTable('inbound_events').set({ outcome, detail }).where('id', '=', id).execute();
    },
  };
}

export type CdeventsRepo = ReturnType<typeof createCdeventsRepo>;
