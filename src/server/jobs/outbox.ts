import type { Tx } from '../db/tx.js';

/** What happened, for whoever listens after commit (webhooks, live updates, connectors). */
export interface DomainEvent {
  type: string; // e.g. service.created
  entityType: string;
  entityId: string;
  version: number | null;
  actorId: string | null;
  requestId: string | null;
  at: string;
}

/**
 * The transactional outbox: a job sent through it exists only if the caller's transaction commits.
 * Handlers run after commit, in a worker, with retries.
 */
export interface Outbox {
  send(tx: Tx, queue: string, data: object, options?: { singletonKey?: string; startAfterSeconds?: number }): Promise<void>;
}

export const DOMAIN_EVENTS_QUEUE = 'domain-events';

export const publishEvent = (outbox: Outbox, tx: Tx, event: DomainEvent) => outbox.send(tx, DOMAIN_EVENTS_QUEUE, event);
