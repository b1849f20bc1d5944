import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type Database } from '../../src/server/db/connect.js';

export type TargetKind = 'pglite' | 'pg';

/** Every integration test runs on PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set. */
export const targets: TargetKind[] = process.env.TEST_DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];

export interface TestDatabase {
  kind: TargetKind;
  url: string | null;
  connect(): Promise<Database>;
  drop(): Promise<void>;
}

/** A fresh, empty database: in-memory PGlite, or a new PostgreSQL database created for this test file. */
export async function createTestDatabase(kind: TargetKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    return { kind, url: null, connect: () => connectDatabase({ kind: 'pglite', dataDir: null }), drop: async () => undefined };
  }
  const admin = process.env.TEST_DATABASE_URL!;
  const name = `shipgate_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    connect: () => connectDatabase({ kind: 'pg', url: url.toString(), poolSize: 10 }),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
