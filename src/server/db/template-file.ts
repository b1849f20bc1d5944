import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../lib/paths.js';
import { migrationNames } from './migrate.js';

/**
 * A new embedded database would run initdb in WASM at first start (several seconds, ~800 MB peak).
 * Instead, `npm install` prepares a migrated template once and first start unpacks it (< 1 s).
 * The file name carries a fingerprint of what it contains, so an upgrade builds a fresh one and a
 * stale template is never used; without a template, first start falls back to initdb.
 */

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function templateFile(dir = path.join(projectRoot(), 'dist')): string {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ migrations: migrationNames, pglite: packageVersion('@electric-sql/pglite'), pgboss: packageVersion('pg-boss') }))
    .digest('hex')
    .slice(0, 12);
  return path.join(dir, `pglite-template-${fingerprint}.tar.gz`);
}

export function readTemplate(file = templateFile()): Blob | undefined {
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}

