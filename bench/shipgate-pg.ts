/** Shipgate as a separate process on a PostgreSQL database, with an admin service-account token. */
import path from 'node:path';
import { ROOT, spawnTracked, waitForOutput, type Child } from './lib.js';

export const SHIPGATE = path.join(ROOT, 'bin/shipgate.js');

/** Base environment for children: no inherited SHIPGATE_* or BENCH_* setting leaks into a measurement. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHIPGATE_') && !k.startsWith('BENCH_')) env[k] = v;
  return { ...env, NODE_ENV: 'production', ...extra };
}

export function shipgatePgEnv(databaseUrl: string, scratchDir: string, poolSize: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return childEnv({
    SHIPGATE_DATABASE_URL: databaseUrl, SHIPGATE_DATA_DIR: scratchDir, SHIPGATE_LOG_LEVEL: 'silent', SHIPGATE_SEED_DEMO: 'false',
    SHIPGATE_HOST: '127.0.0.1', SHIPGATE_PORT: '0', SHIPGATE_DB_POOL_SIZE: String(poolSize), ...extra,
  });
}

/** `shipgate token create` on the database directly (before the server starts); returns the sg_… secret. */
export async function mintAdminToken(env: NodeJS.ProcessEnv): Promise<string> {
  const mint = spawnTracked([SHIPGATE, 'token', 'create', '--user', 'ci@bench.local', '--name', 'bench', '--service-account', '--role', 'admin', '--no-expiry'], env);
  const timer = setTimeout(() => mint.proc.kill('SIGKILL'), 60_000);
  const code = await mint.exited;
  clearTimeout(timer);
  const token = /sg_\S+/.exec(mint.output())?.[0];
  if (code !== 0 || !token) throw new Error(`token create failed (${code}):\n${mint.output()}`);
  return token;
}

/** Starts `node [nodeArgs] bin/shipgate.js serve`; resolves with the child and its loopback base URL. */
export async function startShipgate(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<{ child: Child; url: string }> {
  const child = spawnTracked([...nodeArgs, SHIPGATE, 'serve'], env);
  const port = (await waitForOutput(child, /ready on http:\/\/localhost:(\d+)/, 60_000))[1]!;
  return { child, url: `http://127.0.0.1:${port}` };
}
