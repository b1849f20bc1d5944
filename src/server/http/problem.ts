import { z } from 'zod';

/** RFC 9457 problem details, with Shipgate's stable `code`. */
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable snake_case error identifier, e.g. validation_failed, not_found, still_referenced'),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof ProblemSchema>;

export function problem(status: number, code: string, title: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `https://shipgate.dev/problems/${code.replace(/_/g, '-')}`, title, status, detail, code, ...extra };
}

const p = ProblemSchema;
/** Error responses every authenticated route can give; spread into a route's `response`. */
export const commonErrors = { 400: p, 401: p, 403: p, 404: p, 409: p, 412: p, 413: p, 415: p, 422: p, 429: p } as const;
