import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.js';

/** The first event links to this instead of a previous hash. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed content of an event: everything but its position (seq) and its own hash. */
export interface ChainedEvent {
  id: string;
  at: string; // RFC 3339, UTC, millisecond precision
  actorId: string | null;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string;
  requestId: string | null;
  diff: unknown;
}

/** SHA-256 over the previous hash followed by the canonical JSON of the event. */
export function chainHash(prevHash: string, event: ChainedEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(event)).digest('hex');
}
