import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, killAllServers, login, runCli, startServer, type ServerProcess } from '../helpers/cli-process.js';

/**
 * Embedded mode as a user meets it: `shipgate serve` on a new data directory, demo data, one owner per
 * data directory, clean shutdown on a signal, restart on the same directory.
 */
describe('embedded server lifecycle (PGlite data dir)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let lockFile: string;
  const DEMO_ADMIN = 'admin@demo.shipgate.dev';
  const DEMO_PASSWORD = 'shipgate-demo';

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipgate-life-'));
    lockFile = path.join(dataDir, 'shipgate.lock');
    env = { SHIPGATE_DATA_DIR: dataDir }; // SHIPGATE_SEED_DEMO unset: the embedded default applies
  });

  afterAll(async () => {
    await killAllServers();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the demo admin sees; the audit check needs the CSRF header because it is a POST with a session cookie. */
  async function snapshot(server: ServerProcess) {
    const session = await login(server.url, DEMO_ADMIN, DEMO_PASSWORD);
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const get = async (p: string) => {
      const r = await api(server.url, 'GET', p, { cookie: session.cookie });
      expect(r.status, `${p}: ${JSON.stringify(r.body)}`).toBe(200);
      return r.body;
    };
    const services = await get('/api/v1/services?limit=200');
    const environments = await get('/api/v1/environments?limit=200');
    const users = await get('/api/v1/users?limit=200');
    const teams = await get('/api/v1/teams?limit=200');
    const csrf = /(?:^|; )sg_csrf=([^;]+)/.exec(session.cookie)?.[1];
    const verify = await api(server.url, 'POST', '/api/v1/audit/verify', { cookie: session.cookie, headers: { 'x-csrf-token': decodeURIComponent(csrf ?? '') } });
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body.ok).toBe(true);
    for (const page of [services, environments, users, teams]) expect(page.nextCursor).toBeNull();
    return {
      services: services.items.map((s: { key: string }) => s.key).sort(),
      environments: environments.items.map((e: { key: string }) => e.key).sort(),
      users: users.items.map((u: { email: string }) => u.email).sort(),
      teams: teams.items.map((t: { key: string }) => t.key).sort(),
      auditEvents: verify.body.checked as number,
    };
  }

  it('seeds demo data on first start, refuses a second owner, stops on SIGTERM and restarts without re-seeding', async () => {
    // first start on an empty directory
    const first = await startServer(['--port', '0'], { env });
    const out = first.output();
    expect(out).toContain(`ready on http://localhost:${first.port}`);
    expect(out).toContain(`embedded PGlite (${dataDir})`);
    expect(out).toContain(`demo logins (password "${DEMO_PASSWORD}")`);
    for (const email of [DEMO_ADMIN, 'release@demo.shipgate.dev', 'developer@demo.shipgate.dev', 'viewer@demo.shipgate.dev']) expect(out).toContain(email);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(first.pid));

    const seeded = await snapshot(first);
    expect(seeded.services.length).toBeGreaterThanOrEqual(10);
    expect(seeded.environments).toEqual(['dev', 'production', 'sit', 'staging', 'uat']);
    expect(seeded.users).toContain(DEMO_ADMIN);
    expect(seeded.auditEvents).toBeGreaterThan(seeded.services.length + seeded.environments.length); // the seed went through the audited services

    // a second server on the same directory is refused and leaves the owner's lock alone
    const second = await runCli(['serve', '--port', '0'], { env, timeoutMs: 45_000 });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`already in use by process ${first.pid}`);
    expect(second.stdout).not.toContain('ready on');
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(first.pid));
    expect((await api(first.url, 'GET', '/readyz')).status).toBe(200);

    // SIGTERM: a clean exit by itself (stop() would SIGKILL after 10 s, which gives code null), lock removed
    const stopped = await first.stop('SIGTERM', 10_000);
    expect(stopped, first.output()).toEqual({ code: 0, signal: null, ms: expect.any(Number) });
    expect(fs.existsSync(lockFile)).toBe(false);
    await expect(fetch(`${first.url}/healthz`)).rejects.toThrow();

    // a lock left behind by a process that died is taken over
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.writeFileSync(lockFile, dead);

    // restart on the same directory: same data, nothing seeded twice
    const again = await startServer(['--port', '0'], { env });
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(again.pid));
    const reopened = await snapshot(again);
    expect({ ...reopened, auditEvents: undefined }).toEqual({ ...seeded, auditEvents: undefined });
    expect(reopened.auditEvents).toBe(seeded.auditEvents + 1); // only the second snapshot's sign-in was added

    console.log(`embedded startup: first start (new data dir, demo seed) ${first.startupMs} ms, restart ${again.startupMs} ms (process spawn to "ready on")`);

    // SIGINT works the same way
    const interrupted = await again.stop('SIGINT', 10_000);
    expect(interrupted, again.output()).toEqual({ code: 0, signal: null, ms: expect.any(Number) });
    expect(fs.existsSync(lockFile)).toBe(false);
  });
});
