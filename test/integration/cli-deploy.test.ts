import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, killAllServers, runCli, startServer, type ServerProcess } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** `shipgate deploy start|finish` against a real server process, as a pipeline runs it. */

describe('shipgate deploy', () => {
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let server: ServerProcess;
  let adminToken: string;
  /** What a pipeline step gets: the server's URL and a developer service account's token. */
  let ciEnv: Record<string, string>;

  const deploy = (args: string[], env: Record<string, string | undefined> = ciEnv) => runCli(['deploy', ...args], { env });
  const deploymentsOf = async (query: string) => {
    const res = await api(server.url, 'GET', `/api/v1/deployments?${query}`, { token: adminToken });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.items as any[];
  };

  beforeAll(async () => {
    let env: Record<string, string>;
    if (process.env.TEST_DATABASE_URL) {
      testDb = await createTestDatabase('pg');
      env = { SHIPGATE_DATABASE_URL: testDb.url!, SHIPGATE_SEED_DEMO: 'false' };
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipgate-cli-deploy-'));
      env = { SHIPGATE_DATA_DIR: dataDir, SHIPGATE_SEED_DEMO: 'false' };
    }
    const migrated = await runCli(['migrate'], { env });
    expect(migrated.code, migrated.stderr).toBe(0);
    const token = async (user: string, role: string) => {
      const r = await runCli(['token', 'create', '--user', user, '--name', 'ci', '--service-account', '--role', role], { env });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    adminToken = await token('setup@example.com', 'admin');
    const ciToken = await token('jenkins@example.com', 'developer');
    server = await startServer(['--port', '0'], { env });
    ciEnv = { SHIPGATE_URL: server.url, SHIPGATE_TOKEN: ciToken };
    const setup = [
      ['/api/v1/services', { key: 'payments', name: 'Payments', tier: 2 }],
      ['/api/v1/environments', { key: 'production', name: 'Production', tier: 'production', order: 30 }],
    ] as const;
    for (const [url, body] of setup) {
      const r = await api(server.url, 'POST', url, { token: adminToken, body });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }, 120_000);

  afterAll(async () => {
    await killAllServers();
    await testDb?.drop().catch(() => undefined);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const target = (version: string, run: string) => ['--service', 'payments', '--env', 'production', '--version', version, '--pipeline-run', run];

  it('start then finish records one deployment with both times', async () => {
    const sha = 'a1b2c3d4e5f6a7b8c9d0';
    const started = await deploy(['start', ...target('1.0.0', 'run-1'), '--artifact', 'registry.example.com/payments:1.0.0', '--commit', `${sha}@2026-03-01T10:00:00+01:00`, '--pipeline-url', 'https://ci.example.com/run/1']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.stderr).toContain(`Started deployment ${id}: payments 1.0.0 to production.`);

    const finished = await deploy(['finish', ...target('1.0.0', 'run-1'), '--status', 'succeeded']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout.trim()).toBe(id);
    expect(finished.stderr).toMatch(/Finished deployment .*: payments 1\.0\.0 to production: succeeded after \d+ s\./);

    const runs = (await deploymentsOf('service=payments&environment=production')).filter((m) => m.pipelineRunId === 'run-1');
    expect(runs).toHaveLength(1);
    const d = runs[0];
    expect(d).toMatchObject({
      id, status: 'succeeded', source: 'cli', matched: true, deployedVersion: '1.0.0', pipelineRunId: 'run-1',
      artifact: 'registry.example.com/payments:1.0.0', pipelineUrl: 'https://ci.example.com/run/1',
      commits: [{ sha, committedAt: '2026-03-01T09:00:00.000Z' }],
    });
    expect(d.startedAt).not.toBeNull();
    expect(d.finishedAt).not.toBeNull();
    expect(Date.parse(d.finishedAt)).toBeGreaterThanOrEqual(Date.parse(d.startedAt));
  });

  it('finish without a start still records a succeeded deployment, printed as JSON with --json', async () => {
    const r = await deploy(['finish', ...target('1.1.0', 'run-2'), '--status', 'succeeded', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed).toMatchObject({ status: 'succeeded', deployedVersion: '1.1.0', startedAt: null });
    const runs = (await deploymentsOf('service=payments&status=succeeded')).filter((d) => d.pipelineRunId === 'run-2');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: printed.id, finishedAt: expect.any(String) });
  });

  it('a rerun of start after finish does not move the status back', async () => {
    expect((await deploy(['finish', ...target('1.2.0', 'run-3'), '--status', 'failed'])).code).toBe(0);
    const rerun = await deploy(['start', ...target('1.2.0', 'run-3')]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain('has already finished: failed');
    const runs = (await deploymentsOf('service=payments')).filter((d) => d.pipelineRunId === 'run-3');
    expect(runs.map((d) => d.status)).toEqual(['failed']);
    expect(runs[0].startedAt).toBeNull(); // a start after the finish is a rerun, not the real start time
  });

  it('--id ties start and finish together whatever the other flags say', async () => {
    const started = await deploy(['start', ...target('1.3.0', 'run-4'), '--id', 'deploy-77']);
    const finished = await deploy(['finish', ...target('1.3.0', 'run-4-retry'), '--id', 'deploy-77', '--status', 'canceled']);
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stdout).toBe(started.stdout);
  });

  it('an unknown service is still reported (exit 0) and listed as unmatched', async () => {
    const r = await deploy(['start', '--service', 'ledger-ng', '--env', 'production', '--version', '0.1.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('note: service "ledger-ng" not in the Shipgate catalog');
    const unmatched = await deploymentsOf('unmatched=true');
    expect(unmatched).toEqual([expect.objectContaining({ id: r.stdout.trim(), serviceRef: 'ledger-ng', service: null, status: 'in_progress' })]);
  });

  it('a report the server refuses exits 1 with its message', async () => {
    const r = await deploy(['start', ...target('1.4.0', 'run-5'), '--release', 'no-such-release']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .+\n {2}release: .+\n$/);
  });

  it('invalid values and a missing token exit 4 before anything is sent', async () => {
    const before = (await deploymentsOf('service=payments&limit=200')).length;
    const cases: { args: string[]; env?: Record<string, string | undefined>; stderr: RegExp }[] = [
      { args: ['finish', ...target('2.0.0', 'x'), '--status', 'done'], stderr: /--status "done": must be one of succeeded, failed, canceled, rolled_back/ },
      { args: ['start', ...target('2.0.0', 'x'), '--commit', 'xyz'], stderr: /--commit "xyz": .*7 to 64 hex digits/ },
      { args: ['start', ...target('2.0.0', 'x'), '--commit', 'abcdef1@yesterday'], stderr: /RFC 3339/ },
      { args: ['start', ...target('2.0.0', 'x'), '--pipeline-url', 'ci/run/1'], stderr: /--pipeline-url .*http or https/ },
      { args: ['start', ...target('2.0.0', 'x')], env: { ...ciEnv, SHIPGATE_TOKEN: undefined }, stderr: /SHIPGATE_TOKEN is not set/ },
      { args: ['start', ...target('2.0.0', 'x'), '--url', 'ftp://shipgate'], stderr: /http:\/\/ or https:\/\// },
    ];
    for (const c of cases) {
      const r = await deploy(c.args, c.env);
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(c.stderr);
      expect(r.stdout).toBe('');
    }
    // commander's own usage errors keep their code
    const missing = await deploy(['finish', ...target('2.0.0', 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--status <status>'");
    expect((await deploymentsOf('service=payments&limit=200')).length).toBe(before);
  });

  it('an unreachable server exits 3 after retrying', async () => {
    const port = await closedPort();
    const r = await deploy(['start', ...target('2.0.0', 'x')], { ...ciEnv, SHIPGATE_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/did not answer after 3 attempts: ECONNREFUSED/);
  });

  it('documents the environment and exit codes in --help', async () => {
    const r = await runCli(['deploy', 'start', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('SHIPGATE_TOKEN');
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*4 {2}an invalid value/);
    expect(r.stdout).not.toMatch(/--token/);
  });
});

/** A port nothing listens on: bound, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
