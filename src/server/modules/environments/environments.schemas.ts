import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { keySchema } from '../services/services.schemas.js';

export const ENVIRONMENT_TIERS = ['development', 'testing', 'staging', 'production'] as const;
const tier = z.enum(ENVIRONMENT_TIERS);
const name = z.string().trim().min(1, 'required').max(200);
const order = z.number().int().min(0).max(10_000).describe('position in the promotion path, lowest first');
export const BOOKING_MODES = ['refuse', 'queue'] as const;
const bookingMode = z.enum(BOOKING_MODES).describe("what a booking request overlapping a requested or approved booking gets: 'refuse' (409) or 'queue'");
const bookingApproverTeam = z.string().min(1).max(100).nullable().describe('id or key of the team whose members decide bookings; null: anyone with booking:decide');

export const EnvironmentCreate = z.strictObject({
  key: keySchema,
  name,
  description: z.string().max(4000).optional(),
  tier,
  order,
  changeControlled: z.boolean().optional().describe('deployments here need an approved change request; defaults to true for production'),
  bookingMode: bookingMode.optional().describe("default 'refuse'"),
  bookingApproverTeam: bookingApproverTeam.optional(),
});
export type EnvironmentCreate = z.infer<typeof EnvironmentCreate>;

export const EnvironmentPatch = z.strictObject({
  name: name.optional(),
  description: z.string().max(4000).nullable().optional(),
  tier: tier.optional(),
  order: order.optional(),
  changeControlled: z.boolean().optional(),
  bookingMode: bookingMode.optional(),
  bookingApproverTeam: bookingApproverTeam.optional(),
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
    bookingMode: z.enum(BOOKING_MODES),
    bookingApproverTeam: z.string().nullable().describe('key of the team whose members decide bookings'),
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
