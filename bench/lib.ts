/** Process, HTTP, /proc and database helpers for the benchmarks. Everything is bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- children and clean-up

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Last ~64 KB of stdout + stderr, for error messages. */
  output(): string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const cleanups: (() => Promise<void>)[] = [];

/** Children are killed synchronously when the bench exits for any reason. */
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/** Stops children, removes temp dirs, runs registered clean-ups (drop databases), in reverse order. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopProcess(c, 5_000)));
  while (cleanups.length) await cleanups.pop()!().catch((err) => console.error('clean-up failed:', err));
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

export function spawnTracked(args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string } = {}): Child {
  let buf = '';
  const keep = (chunk: Buffer) => {
    buf += chunk.toString();
    if (buf.length > 65_536) buf = buf.slice(-65_536);
  };
  // process.execPath directly (no shell, no npx): the pid we get is the server's own node process
  const proc = spawn(process.execPath, args, { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve(code);
    });
    proc.once('error', () => {
      children.delete(proc);
      resolve(null);
    });
  });
  if (proc.pid === undefined) throw new Error(`could not spawn ${args.join(' ')}`);
  return { proc, pid: proc.pid, output: () => buf, exited };
}

export async function stopProcess(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Resolves with the first match of `re` in the child's output; rejects on exit or timeout. */
export function waitForOutput(child: Child, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = child.output().match(re);
      if (m) {
        finish();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      finish();
      reject(new Error(`process exited (${code}) before printing ${re}:\n${child.output()}`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${re}:\n${child.output()}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      child.proc.stdout!.off('data', check);
      child.proc.stderr!.off('data', check);
      child.proc.off('exit', onExit);
    };
    child.proc.stdout!.on('data', check);
    child.proc.stderr!.on('data', check);
    child.proc.once('exit', onExit);
    check();
  });
}

export function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export function removeTempDir(d: string): void {
  fs.rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

// ---------------------------------------------------------------- loopback HTTP

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function httpStatus(url: string, timeoutMs = 1_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

/** Polls `url` every `intervalMs` until it answers 200; resolves with the time that happened. */
export async function waitFor200(url: string, child: Child, timeoutMs: number, intervalMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`process exited before ${url} answered 200:\n${child.output()}`);
    }
    if ((await httpStatus(url, 1_000)) === 200) return performance.now();
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- /proc

export interface MemInfo {
  rssMB: number;
  peakRssMB: number;
  /** RSS of descendant processes (a wrapper would hide the server in one of these). */
  childrenRssMB: number;
  childPids: number[];
}

function statusField(pid: number, field: string): number {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) / 1024 : NaN;
}

function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = byParent.get(ppid) ?? [];
      list.push(Number(entry));
      byParent.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of byParent.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function memoryOf(pid: number): MemInfo {
  const childPids = descendants(pid);
  let childrenRssMB = 0;
  for (const c of childPids) {
    try {
      childrenRssMB += statusField(c, 'VmRSS');
    } catch {
      // gone
    }
  }
  return { rssMB: statusField(pid, 'VmRSS'), peakRssMB: statusField(pid, 'VmHWM'), childrenRssMB, childPids };
}

const CLK_TCK = 100; // Linux USER_HZ on every mainstream kernel

/** User + system CPU time of a process so far, in ms. */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14 (utime) and 15 (stime), counted from 1 with pid as field 1; f[0] is field 3
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

// ---------------------------------------------------------------- PostgreSQL

export function assertLoopbackUrl(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`BENCH_PG_URL must point at loopback (127.0.0.1), got host ${host}`);
  }
}

export function dbUrl(baseUrl: string, database: string): string {
  const u = new URL(baseUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates a database and registers dropping it (WITH FORCE: also ends leftover connections). */
export async function createDatabase(baseUrl: string, name: string): Promise<string> {
  if (!/^shipgate_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to create database ${name}`);
  const admin = new pg.Client({ connectionString: dbUrl(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  onCleanup(() => dropDatabase(baseUrl, name));
  return dbUrl(baseUrl, name);
}

export async function dropDatabase(baseUrl: string, name: string): Promise<void> {
  if (!/^shipgate_bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop database ${name}`);
  const admin = new pg.Client({ connectionString: dbUrl(baseUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

export async function queryOne<T>(url: string, text: string): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows[0] as T;
  } finally {
    await c.end();
  }
}

// ---------------------------------------------------------------- formatting

export const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
export const mb = (v: number) => v.toFixed(1);
export const ratio = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
