import { z } from 'zod';
import { pageQuery, sortParam } from '../../lib/keyset.js';

export const KEY_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;
export const keySchema = z.string().regex(KEY_PATTERN, 'lowercase letters, digits and hyphens, 2–63 characters, starting with a letter');
const name = z.string().trim().min(1, 'required').max(200);
const description = z.string().max(4000);
const tier = z.number().int().min(1).max(4).describe('1 = most critical … 4 = least');
const profile = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'lowercase slug, e.g. regulated, standard, fast-lane');
const serviceRef = z.string().min(1).max(100).describe('service id or key');
export const TAG_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const tagSchema = z.string().regex(TAG_PATTERN, 'lowercase slug: letters, digits and hyphens, 1–40 characters, e.g. pci, customer-facing');
const tags = z.array(tagSchema).max(20).describe('lowercase slug tags, at most 20; time windows can be scoped by them');

export const ServiceCreate = z.strictObject({
  key: keySchema,
  name,
  description: description.optional(),
  tier,
  ownerTeamId: z.uuid().nullable().optional(),
  governanceProfile: profile.nullable().optional(),
  dependsOn: z.array(serviceRef).max(100).optional().describe('services this one depends on (ids or keys)'),
  tags: tags.optional(),
});
export type ServiceCreate = z.infer<typeof ServiceCreate>;

export const ServicePatch = z.strictObject({
  name: name.optional(),
  description: description.nullable().optional(),
  tier: tier.optional(),
  ownerTeamId: z.uuid().nullable().optional(),
  governanceProfile: profile.nullable().optional(),
  dependsOn: z.array(serviceRef).max(100).nullable().optional(),
  tags: tags.nullable().optional(),
});
export type ServicePatch = z.infer<typeof ServicePatch>;

const Ref = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const Service = z
  .object({
    id: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    tier: z.number().int(),
    ownerTeam: Ref.nullable(),
    governanceProfile: z.string().nullable(),
    dependsOn: z.array(Ref),
    tags: z.array(z.string()),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Service' });
export type Service = z.infer<typeof Service>;

export const SERVICE_SORTS = ['key', 'name', 'tier', 'updatedAt'] as const;
export type ServiceSort = (typeof SERVICE_SORTS)[number];

export const ServiceListQuery = z.strictObject({
  ...pageQuery,
  sort: sortParam(SERVICE_SORTS, 'key'),
  q: z.string().max(200).optional().describe('text search in key, name and description'),
  tier: z.coerce.number().int().min(1).max(4).optional(),
  team: z.string().max(100).optional().describe('owner team id or key'),
  governanceProfile: z.string().max(63).optional(),
});
export type ServiceListQuery = z.infer<typeof ServiceListQuery>;
