import pino from 'pino';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config, type Role as ProcessRole } from '../../src/server/config.js';
import { createShipgate, type Shipgate } from '../../src/server/main.js';
import { ROLES, systemActor, type Role } from '../../src/server/modules/identity/permissions.js';
import { hashPassword } from '../../src/server/modules/identity/secrets.js';
import type { Clock } from '../../src/server/lib/clock.js';
import { createTestDatabase, type TargetKind, type TestDatabase } from './db.js';

export const TEST_PASSWORD = 'correct horse battery';

export interface TestApp {
  kind: TargetKind;
  sg: Shipgate;
  testDb: TestDatabase;
  /** A bearer token per role, for a user holding only that role. */
  tokens: Record<Role, string>;
  users: Record<Role, { id: string; email: string }>;
  request(opts: { method: string; url: string; role?: Role | null; token?: string; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ SHIPGATE_LOG_LEVEL: 'silent', SHIPGATE_SEED_DEMO: 'false' }), ...overrides };
}

let sharedHash: Promise<string> | undefined;

/** A Shipgate on a fresh database with one user and token per role. */
export async function startTestApp(kind: TargetKind, opts: { config?: Partial<Config>; role?: ProcessRole; clock?: Clock } = {}): Promise<TestApp> {
  const testDb = await createTestDatabase(kind);
  const database = await testDb.connect();
  const sg = await createShipgate({ config: testConfig(opts.config), role: opts.role ?? 'all', database, logger: pino({ level: 'silent' }), clock: opts.clock });
  const passwordHash = await (sharedHash ??= hashPassword(TEST_PASSWORD));
  const tokens = {} as Record<Role, string>;
  const users = {} as Record<Role, { id: string; email: string }>;
  for (const role of ROLES) {
    const email = `${role}@test.shipgate.dev`;
    const user = await sg.services.identity.createUser(systemActor('test'), { email, name: `Test ${role}`, roles: [role], passwordHash });
    users[role] = { id: user.id, email };
    const { secret } = await sg.services.identity.createToken({ ...systemActor('test'), id: user.id }, { name: 'test', expiresInDays: 1, userId: user.id });
    tokens[role] = secret;
  }
  return {
    kind, sg, testDb, tokens, users,
    request({ method, url, role = 'admin', token, body, headers = {} }) {
      const auth = token ?? (role ? tokens[role] : undefined);
      return sg.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    },
    async close() {
      await sg.close();
      await database.close();
      await testDb.drop();
    },
  };
}
