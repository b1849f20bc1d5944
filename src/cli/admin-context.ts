import pino from 'pino';
import type { Config } from '../server/config.js';
import { connectDatabase, type Database } from '../server/db/connect.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { systemClock } from '../server/lib/clock.js';
import { createAuditRepo } from '../server/modules/audit/audit.repo.js';
import { createAuditService } from '../server/modules/audit/audit.service.js';
import { createIdentityRepo } from '../server/modules/identity/identity.repo.js';
import { createIdentityService } from '../server/modules/identity/identity.service.js';
import { createLoginThrottle } from '../server/modules/identity/login-throttle.js';

/**
 * Server-administration commands (migrate, admin create, token create, audit verify) work on the
 * database directly: they must work before any admin or server exists. Pipeline commands use the API.
 */
export async function openAdminContext(config: Config) {
  const database: Database = await connectDatabase(
    config.databaseUrl ? { kind: 'pg', url: config.databaseUrl, poolSize: 2 } : { kind: 'pglite', dataDir: config.dataDir },
  );
  try {
    await migrateToLatest(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const db = database.db;
  const audit = createAuditService({ repo: createAuditRepo(), clock: systemClock, db });
  const identityRepo = createIdentityRepo();
  const identity = createIdentityService({ db, repo: identityRepo, audit, throttle: createLoginThrottle(db, systemClock, config.login), clock: systemClock });
  return { database, db, audit, identity, identityRepo, log: pino({ level: 'silent' }) };
}
