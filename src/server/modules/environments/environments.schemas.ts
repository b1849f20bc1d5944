import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { keySchema } from '../services/services.schemas.js';

export const ENVIRONMENT_TIERS = ['development', 'testing', 'staging', 'production'] as const;
const tier = z.enum(ENVIRONMENT_TIERS);
const name = z.string().trim().min(1, 'required').max(200);
const order = z.number().int().min(0).max(10_000).describe('position in the promotion path, lowest first');

export const EnvironmentCreate = z.strictObject({
  key: keySchema,
  name,
  description: z.string().max(4000).optional(),
  tier,
  order,
  changeControlled: z.boolean().optional().describe('deployments here need an approved change request; defaults to true for production'),
});
export type EnvironmentCreate = z.infer<typeof EnvironmentCreate>;

export const EnvironmentPatch = z.strictObject({
  name: name.optional(),
  description: z.string().max(4000).nullable().optional(),
  tier: tier.optional(),
  order: order.optional(),
  changeControlled: z.boolean().optional(),
});
export type EnvironmentPatch = z.infer<typeof EnvironmentPatch>;

export const Environment = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    tier,
    order: z.number().int(),
    changeControlled: z.boolean(),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof Environment>;

export const EnvironmentListQuery = z.strictObject({
  ...pageQuery,
  tier: tier.optional(),
  changeControlled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  q: z.string().max(200).optional(),
});
export type EnvironmentListQuery = z.infer<typeof EnvironmentListQuery>;
