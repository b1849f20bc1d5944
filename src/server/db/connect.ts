import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import { embeddedTemplate, templateIsBuilt, type EmbeddedTemplate } from './template-file.js';
import { textParsers, pgTypes } from './parsers.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { DB } from './schema.js';

export type DatabaseTarget =
  | { kind: 'pg'; url: string; poolSize?: number }
  /** `template`: what a new database starts from instead of initdb (default: the prepared one, if built); null for none. */
  | { kind: 'pglite'; dataDir: string | null; template?: EmbeddedTemplate | null };

/**
 * Embedded PostgreSQL settings: shared_buffers 16 MB instead of 128 MB keeps the idle process far
 * smaller; the embedded database is small and the OS page cache still holds its files.
 */
const EMBEDDED_CONF = ['shared_buffers=16MB', 'work_mem=4MB'];

export interface Database {
  kind: 'pg' | 'pglite';
  db: Kysely<DB>;
  /**
   * Raw SQL for libraries that bring their own statements (pg-boss). Parameter-less text may hold
   * several statements; on PGlite it goes through exec() because its extended protocol refuses that.
   */
  executeRaw(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
  close(): Promise<void>;
  /** PGlite only: a gzipped tarball of the data directory. */
  dumpDataDir?(): Promise<Blob>;
}

export async function connectDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'pg') return connectPostgres(target.url, target.poolSize ?? 10);
  const template = target.template === undefined ? embeddedTemplate() : target.template;
  return connectPGlite(target.dataDir, template && templateIsBuilt(template) ? template : null);
}

function connectPostgres(url: string, max: number): Database {
  // jit=off: PostgreSQL compiles a plan costed over 100,000 (a calendar quarter over 10,000
  // releases is) before running it, adding tens of milliseconds to a query that itself takes a few
  const pool = new pg.Pool({ connectionString: url, max, types: pgTypes, options: '-c TimeZone=UTC -c jit=off' });
  // An idle client losing its connection (server restart, terminated backend) is discarded by the
  // pool and the next query reconnects; without a listener the 'error' event would kill the process.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL idle connection lost: ${err.message}`));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'pg',
    db,
    async executeRaw(text, values = []) {
      const result = await pool.query(text, values as unknown[]);
      return { rows: Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows };
    },
    async close() {
      await db.destroy();
    },
  };
}

async function connectPGlite(dataDir: string | null, template: EmbeddedTemplate | null): Promise<Database> {
  const lock = dataDir ? lockDataDir(dataDir) : null;
  const pgdata = dataDir ? path.join(dataDir, 'pgdata') : null;
  let pglite: PGlite;
  try {
    const isNew = !pgdata || !fs.existsSync(path.join(pgdata, 'PG_VERSION'));
    if (isNew && pgdata && template) fs.cpSync(template.dir, pgdata, { recursive: true });
    const memoryTemplate = isNew && !pgdata && template ? new Blob([fs.readFileSync(template.tarball)]) : undefined;
    pglite = await PGlite.create({
      ...(pgdata ? { dataDir: pgdata } : {}),
      ...(memoryTemplate ? { loadDataDir: memoryTemplate } : {}),
      postgresqlconf: EMBEDDED_CONF,
      parsers: Object.fromEntries(Object.entries(textParsers).map(([oid, parse]) => [oid, (t: string) => parse(t)])),
    });
    await pglite.exec(`set timezone = 'UTC'`);
  } catch (err) {
    lock?.release();
    throw err;
  }
  const dialect = new PGliteDialect(pglite);
  const db = new Kysely<DB>({ dialect });
  return {
    kind: 'pglite',
    db,
    executeRaw: (text, values = []) =>
      dialect.mutex.run(async () => {
        if (values.length > 0) return pglite.query(text, values as unknown[]);
        try {
          const results = await pglite.exec(text);
          return { rows: results.at(-1)?.rows ?? [] };
        } catch (err) {
          // a failed multi-statement string can leave the single connection inside an aborted transaction
          await pglite.exec('rollback').catch(() => undefined);
          throw err;
        }
      }),
    async close() {
      await db.destroy();
      await pglite.close();
      lock?.release();
    },
    dumpDataDir: () => dialect.mutex.run(() => pglite.dumpDataDir('gzip')),
  };
}
