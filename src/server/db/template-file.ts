import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths.js';
import { migrationNames } from './migrate.js';

/**
 * A new embedded database would run initdb in WASM at first start (seconds, ~800 MB peak).
 * Instead, `npm install` prepares an empty, migrated database once, in two forms:
 *  - a data directory, copied as plain files into a new SHIPGATE_DATA_DIR: PGlite then opens an
 *    existing database, so a first start costs what a restart costs (time and memory);
 *  - a tarball, loaded into in-memory databases (tests).
 * The names carry a fingerprint of what they contain: an upgrade builds fresh ones and a stale
 * template is never used. Without a template, PGlite falls back to initdb.
 */
export interface EmbeddedTemplate {
  dir: string;
  tarball: string;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The migrations' source text, so that editing an unreleased migration also makes a new template. */
function migrationSources(): string[] {
  const dir = path.join(projectRoot(), 'src/server/db/migrations');
  if (!fs.existsSync(dir)) return migrationNames;
  return fs.readdirSync(dir).sort().map((f) => `${f}:${createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}`);
}

export function embeddedTemplate(dist = path.join(projectRoot(), 'dist')): EmbeddedTemplate {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ migrations: migrationSources(), pglite: packageVersion('@electric-sql/pglite'), pgboss: packageVersion('pg-boss') }))
    .digest('hex')
    .slice(0, 12);
  const base = path.join(dist, `pglite-template-${fingerprint}`);
  return { dir: base, tarball: `${base}.tar.gz` };
}

export const templateIsBuilt = (t: EmbeddedTemplate): boolean => fs.existsSync(path.join(t.dir, 'PG_VERSION')) && fs.existsSync(t.tarball);
