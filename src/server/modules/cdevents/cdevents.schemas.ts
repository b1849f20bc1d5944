import { z } from 'zod';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const attribute = (max: number) => z.string({ error: (iss) => (iss.input === undefined ? 'required' : 'must be a string') }).min(1, 'required').max(max).regex(NO_CONTROL, 'no control characters');

/**
 * The CloudEvents context attributes Shipgate reads, whichever HTTP mode carried them. The lengths
 * keep (source, id) within what the unique index on them can hold.
 */
export const CloudEventAttributes = z.object({
  specversion: z.literal('1.0', { error: 'must be 1.0' }),
  id: attribute(200),
  source: attribute(400),
  type: attribute(200),
  subject: attribute(500).optional(),
});
export type CloudEventAttributes = z.infer<typeof CloudEventAttributes>;

/** A received CloudEvent: its attributes and its data (the CDEvent). */
export type CloudEvent = CloudEventAttributes & { data: unknown };

export const INGEST_STATUSES = ['applied', 'stored', 'ignored', 'duplicate'] as const;

export const IngestResult = z
  .object({
    status: z.enum(INGEST_STATUSES).describe('applied: acted on; stored: kept for later processing; ignored: not a CDEvent type Shipgate knows; duplicate: already received'),
    id: z.string().describe('the stored event'),
    type: z.string(),
    detail: z.string().describe('what was done, or why not'),
  })
  .meta({ id: 'CdeventIngestResult' });
export type IngestResult = z.infer<typeof IngestResult>;
