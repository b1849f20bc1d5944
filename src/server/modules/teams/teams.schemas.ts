import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { keySchema } from '../services/services.schemas.js';

export const TeamCreate = z.strictObject({
  key: keySchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).optional(),
});
export const TeamPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(4000).nullable().optional(),
});
export const Team = z
  .object({ id: z.string(), key: z.string(), name: z.string(), description: z.string(), memberCount: z.number().int(), version: z.number().int(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Team' });
export const TeamMember = z.object({ id: z.string(), email: z.string(), name: z.string() });
export const MembershipBody = z.strictObject({ userId: z.uuid() });
export const TeamListQuery = z.strictObject({ ...pageQuery, q: z.string().max(200).optional() });

export type TeamCreate = z.infer<typeof TeamCreate>;
export type TeamPatch = z.infer<typeof TeamPatch>;
export type Team = z.infer<typeof Team>;
export type TeamListQuery = z.infer<typeof TeamListQuery>;
