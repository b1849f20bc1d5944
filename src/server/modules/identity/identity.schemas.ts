import { z } from 'zod';
import { pageQuery } from '../../lib/keyset.js';
import { ROLES } from './permissions.js';

export const LoginBody = z.strictObject({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) });
export const Role = z.enum(ROLES);

const TeamRef = z.object({ id: z.string(), key: z.string(), name: z.string() });
export const Me = z
  .object({ id: z.string(), email: z.string(), name: z.string(), roles: z.array(Role), teams: z.array(TeamRef), permissions: z.array(z.string()), serviceAccount: z.boolean() })
  .meta({ id: 'CurrentUser' });

export const User = z
  .object({ id: z.string(), email: z.string(), name: z.string(), roles: z.array(Role), teamIds: z.array(z.string()), serviceAccount: z.boolean(), disabled: z.boolean(), createdAt: z.string() })
  .meta({ id: 'User' });

export const UserCreate = z.strictObject({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  password: z.string().min(12, 'at least 12 characters').max(1024).optional().describe('omit for service accounts or SSO-only users'),
  roles: z.array(Role).min(1).max(ROLES.length),
  serviceAccount: z.boolean().optional(),
});
export const UserListQuery = z.strictObject({ ...pageQuery, q: z.string().max(200).optional() });

export const ApiToken = z
  .object({
    id: z.string(), name: z.string(), kind: z.enum(['personal', 'service_account']), prefix: z.string(), userId: z.string(), userName: z.string(),
    expiresAt: z.string().nullable(), lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable(), createdAt: z.string(),
  })
  .meta({ id: 'ApiToken' });
export const TokenCreate = z.strictObject({
  name: z.string().trim().min(1).max(200),
  expiresInDays: z.number().int().min(1).max(3650).nullable().default(90).describe('null for a token that never expires'),
  userId: z.uuid().optional().describe('admins only: mint the token for another user, e.g. a service account'),
});
export const TokenCreated = z.object({ token: ApiToken, secret: z.string().describe('shown once; only its hash is stored') });
export const TokenListQuery = z.strictObject({ ...pageQuery, all: z.enum(['true', 'false']).transform((v) => v === 'true').optional() });
