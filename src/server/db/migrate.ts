import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './connect.js';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_audit_sealing.js';
import * as m0003 from './migrations/0003_releases.js';
import * as m0004 from './migrations/0004_calendar.js';
import * as m0005 from './migrations/0005_windows.js';
import * as m0006 from './migrations/0006_changes.js';
import * as m0007 from './migrations/0007_governance.js';
import * as m0008 from './migrations/0008_change_policy.js';
import * as m0009 from './migrations/0009_change_outcomes.js';
import * as m0010 from './migrations/0010_deployments.js';
import * as m0011 from './migrations/0011_inbound_events.js';

/** Migrations are listed explicitly so they bundle and run the same from source or a build. */
const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_audit_sealing': m0002,
  '0003_releases': m0003,
  '0004_calendar': m0004,
  '0005_windows': m0005,
  '0006_changes': m0006,
  '0007_governance': m0007,
  '0008_change_policy': m0008,
  '0009_change_outcomes': m0009,
  '0010_deployments': m0010,
  '0011_inbound_events': m0011,
};

export const migrationNames = Object.keys(migrations);

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Applies pending migrations. Kysely's Postgres adapter takes an advisory lock inside the
 * migration transaction, so several nodes starting at once apply each migration exactly once.
 */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider, migrationTableName: 'shipgate_migrations', migrationLockTableName: 'shipgate_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
