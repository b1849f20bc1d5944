import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory holding Shipgate's package.json, found by walking up from this module: the same
 * answer from the TypeScript sources (src/server/lib) and from the bundle (dist/server).
 */
export function projectRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'shipgate') return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('Cannot find the Shipgate installation directory (package.json named "shipgate")');
    dir = parent;
  }
}
