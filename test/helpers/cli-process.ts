import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for tests that run the real `shipgate` CLI as child processes. */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO_ROOT, 'bin/shipgate.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The child's environment: the parent's minus every SHIPGATE_* variable (a developer's own settings
 * must not leak in, above all SHIPGATE_DATA_DIR), silent logs, plus `env`. A value of undefined removes it.
 */
export function cliEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SHIPGATE_')) out[k] = v;
  out.SHIPGATE_LOG_LEVEL = 'silent';
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Runs `shipgate <args>` to completion. */
export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shipgate ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  /** Milliseconds from spawn to the "ready on" line. */
  startupMs: number;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends the signal and waits for the exit (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Every process spawned by spawnServer, so a test file can kill leftovers in afterAll even after a failure. */
const live = new Set<ChildProcess>();

export interface SpawnedServer {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the server prints "ready on"; rejects if it exits first or times out. */
  ready: Promise<ServerProcess>;
}

/** Starts `shipgate serve <args>` (add --port 0 to get a free port). */
export function spawnServer(args: string[], opts: { env?: Record<string, string | undefined>; readyTimeoutMs?: number } = {}): SpawnedServer {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { cwd: REPO_ROOT, env: cliEnv(opts.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const output = () => out;

  const ready = new Promise<ServerProcess>((resolve, reject) => {
    const timeoutMs = opts.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => reject(new Error(`shipgate serve was not ready within ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
    const onData = () => {
      const m = /ready on (http:\/\/localhost:(\d+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      const startupMs = Date.now() - started;
      resolve({
        child, pid: child.pid!, url: m[1]!, port: Number(m[2]), startupMs, output, exited,
        async stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
          const t0 = Date.now();
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const killer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
          const r = await exited;
          clearTimeout(killer);
          return { ...r, ms: Date.now() - t0 };
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`shipgate serve exited (code ${code}, signal ${signal}) before it was ready; output:\n${out}`));
    });
  });
  // a rejection nobody awaits (e.g. a server expected to fail) must not become an unhandled rejection
  ready.catch(() => undefined);
  return { child, output, exited, ready };
}

/** Starts `shipgate serve` and waits until it is ready. */
export function startServer(args: string[], opts: { env?: Record<string, string | undefined>; readyTimeoutMs?: number } = {}): Promise<ServerProcess> {
  return spawnServer(args, opts).ready;
}

/** SIGKILLs every server process this file started that is still running. */
export async function killAllServers(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** A JSON request with a bearer token or a cookie header. */
export async function api(
  baseUrl: string,
  method: string,
  urlPath: string,
  opts: { token?: string; cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + urlPath, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

/** Signs in with e-mail and password; returns the status and a Cookie header for later requests. */
export async function login(baseUrl: string, email: string, password: string): Promise<{ status: number; cookie: string; body: any }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const text = await res.text();
  return { status: res.status, cookie, body: text ? JSON.parse(text) : null };
}
