// Run by `npm install` (postinstall), `npm start` and `npm test`: builds what the server needs from
// this checkout when it is missing or stale, and is a quick no-op otherwise.
//  - dist/web: the web UI (vite build)
//  - dist/server/cli.mjs: the server and CLI bundled (plain node starts faster and smaller than tsx)
//  - dist/pglite-template-*: a migrated empty embedded database (directory and tarball), so first start skips initdb
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTemplate } from '../src/server/db/embedded-template.js';
import { embeddedTemplate, templateIsBuilt } from '../src/server/db/template-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bestEffort = process.argv.includes('--best-effort');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function buildWebIfStale() {
  const src = path.join(root, 'src/web');
  const built = path.join(root, 'dist/web/index.html');
  if (!fs.existsSync(path.join(src, 'index.html'))) return;
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestMtime(src)) return;
  console.log('Building the web UI…');
  execFileSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

async function bundleServerIfStale() {
  const out = path.join(root, 'dist/server/cli.mjs');
  const newest = Math.max(newestMtime(path.join(root, 'src/server')), newestMtime(path.join(root, 'src/cli')));
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= newest) return;
  await build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external', // dependencies load from node_modules as usual
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

async function buildTemplateIfMissing() {
  const template = embeddedTemplate();
  if (templateIsBuilt(template)) return;
  console.log('Preparing the embedded database template…');
  const dist = path.dirname(template.dir);
  for (const old of fs.readdirSync(dist).filter((f) => f.startsWith('pglite-template-'))) fs.rmSync(path.join(dist, old), { recursive: true, force: true });
  await buildTemplate(template);
}

try {
  buildWebIfStale();
  fs.mkdirSync(path.join(root, 'dist'), { recursive: true });
  await bundleServerIfStale();
  await buildTemplateIfMissing();
} catch (err) {
  if (!bestEffort) throw err;
  // an install must not fail for this: `npm start` retries and reports the error
  console.warn(`warning: preparing Shipgate failed (${(err as Error).message}); npm start will retry.`);
}
