import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from './lib/paths.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const EnvSchema = z.object({
  SHIPGATE_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // loopback by default: a fresh install has demo users with a published password
  SHIPGATE_HOST: z.string().default('127.0.0.1'),
  SHIPGATE_DATA_DIR: z.string().default('.shipgate'),
  SHIPGATE_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  SHIPGATE_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  SHIPGATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHIPGATE_SEED_DEMO: z.enum(['true', 'false', '1', '0', 'catalog']).transform((v) => (v === 'catalog' ? 'catalog' : v === 'true' || v === '1')).optional(),
  SHIPGATE_ADMIN_EMAIL: z.email().optional(),
  SHIPGATE_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').optional(),
  SHIPGATE_SECURE_COOKIES: bool.default(false),
  SHIPGATE_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  SHIPGATE_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(10),
  SHIPGATE_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  SHIPGATE_WEB_DIR: z.string().optional(),
});

export type Role = 'all' | 'api' | 'worker';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  poolSize: number;
  logLevel: z.infer<typeof EnvSchema>['SHIPGATE_LOG_LEVEL'];
  /** Seed demo data on a new embedded database unless told otherwise; 'catalog' leaves out the release train. */
  seedDemo: boolean | 'catalog' | undefined;
  admin: { email: string; password: string } | null;
  secureCookies: boolean;
  bodyLimit: number;
  login: { maxFailures: number; windowSeconds: number };
  webDir: string;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.SHIPGATE_ADMIN_EMAIL === undefined) !== (e.SHIPGATE_ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration:\n  SHIPGATE_ADMIN_EMAIL and SHIPGATE_ADMIN_PASSWORD must be set together');
  }
  return {
    port: e.SHIPGATE_PORT,
    host: e.SHIPGATE_HOST,
    dataDir: path.resolve(cwd, e.SHIPGATE_DATA_DIR),
    databaseUrl: e.SHIPGATE_DATABASE_URL ?? null,
    poolSize: e.SHIPGATE_DB_POOL_SIZE,
    logLevel: e.SHIPGATE_LOG_LEVEL,
    seedDemo: e.SHIPGATE_SEED_DEMO,
    admin: e.SHIPGATE_ADMIN_EMAIL && e.SHIPGATE_ADMIN_PASSWORD ? { email: e.SHIPGATE_ADMIN_EMAIL, password: e.SHIPGATE_ADMIN_PASSWORD } : null,
    secureCookies: e.SHIPGATE_SECURE_COOKIES,
    bodyLimit: e.SHIPGATE_BODY_LIMIT_BYTES,
    login: { maxFailures: e.SHIPGATE_LOGIN_MAX_FAILURES, windowSeconds: e.SHIPGATE_LOGIN_WINDOW_SECONDS },
    webDir: e.SHIPGATE_WEB_DIR ? path.resolve(cwd, e.SHIPGATE_WEB_DIR) : path.join(projectRoot(), 'dist/web'),
  };
}
