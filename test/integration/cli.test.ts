import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase } from '../../src/server/db/connect.js';
import { api, killAllServers, login, mapLimit, runCli, startServer, type ServerProcess } from '../helpers/cli-process.js';
import { createTestDatabase, type TargetKind, type TestDatabase } from '../helpers/db.js';

/** The `shipgate` command line, run as real processes (each takes about a second to start: tsx). */

afterAll(async () => {
  await killAllServers();
});

describe('shipgate CLI: usage', () => {
  // a data dir that must never be created: --help and usage errors touch no database
  const untouched = path.join(os.tmpdir(), `shipgate-cli-untouched-${process.pid}-${Date.now()}`);
  const env = { SHIPGATE_DATA_DIR: untouched };

  it('prints help for every command and exits 0', async () => {
    const commands = [[], ['serve'], ['migrate'], ['admin'], ['admin', 'create'], ['token'], ['token', 'create'], ['token', 'revoke'], ['audit'], ['audit', 'verify']];
    const results = await mapLimit(commands, 4, (cmd) => runCli([...cmd, '--help'], { env }));
    for (const [i, r] of results.entries()) {
      const cmd = commands[i]!;
      expect(r.code, `shipgate ${cmd.join(' ')} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: shipgate${cmd.length ? ' ' + cmd.join(' ') : ''} `);
    }
    // what each command documents
    const [top, serve, , , adminCreate, , tokenCreate, tokenRevoke] = results.map((r) => r.stdout);
    for (const c of ['serve', 'migrate', 'admin', 'token', 'audit']) expect(top).toContain(c);
    expect(serve).toMatch(/--role <role>[\s\S]*"all", "api", "worker"/);
    expect(serve).toContain('--port <port>');
    expect(adminCreate).toContain('--password-stdin');
    for (const o of ['--expires-in-days', '--no-expiry', '--service-account', '--role']) expect(tokenCreate).toContain(o);
    expect(tokenRevoke).toContain('<id>');
    const help = await runCli(['help', 'token'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: shipgate token');
    expect(fs.existsSync(untouched)).toBe(false);
  });

  it('exits 2 on an unknown command or option, a missing argument or an invalid configuration', async () => {
    const cases: { args: string[]; env?: Record<string, string>; stderr: RegExp }[] = [
      { args: ['deploy-everything'], stderr: /unknown command 'deploy-everything'/ },
      { args: ['migrate', '--force'], stderr: /unknown option '--force'/ },
      { args: ['--bogus'], stderr: /unknown option '--bogus'/ },
      { args: ['serve', '--role', 'leader'], stderr: /invalid[\s\S]*all, api, worker/i },
      { args: ['serve', '--port', '70000'], stderr: /0–65535/ },
      { args: ['token', 'create', '--name', 'x'], stderr: /required option '--user <email>'/ },
      { args: ['token', 'create', '--user', 'a@b.dev', '--name', 'x', '--expires-in-days', '0'], stderr: /positive integer/ },
      { args: ['token', 'revoke'], stderr: /missing required argument 'id'/ },
      { args: ['admin', 'create', '--email', 'a@b.dev'], stderr: /--password-stdin/ },
      { args: ['migrate'], env: { SHIPGATE_PORT: 'eighty' }, stderr: /Invalid configuration[\s\S]*SHIPGATE_PORT/ },
      { args: ['migrate'], env: { SHIPGATE_DATABASE_URL: 'mysql://localhost/shipgate' }, stderr: /SHIPGATE_DATABASE_URL: must be a postgres:\/\/ URL/ },
    ];
    const results = await mapLimit(cases, 4, (c) => runCli(c.args, { env: { ...env, ...c.env } }));
    for (const [i, r] of results.entries()) {
      const c = cases[i]!;
      expect(r.code, `shipgate ${c.args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(c.stderr);
    }
    expect(fs.existsSync(untouched)).toBe(false);
  });
});

/** Raw SQL on the target database, from the test process (the server must be stopped for PGlite). */
type Sql = (text: string, values?: unknown[]) => Promise<any[]>;

/** The chain's order: its own position column where events are sealed after commit, else insertion order. */
async function chainOrder(sql: Sql): Promise<string> {
  const cols = await sql(`select 1 from information_schema.columns where table_name = 'audit_events' and column_name = 'chain_seq'`);
  return cols.length ? 'audit_events.chain_seq' : 'audit_events.seq';
}

function cliSuite(kind: TargetKind) {
  let env: Record<string, string>;
  let testDb: TestDatabase | undefined;
  let dataDir: string | undefined;
  let server: ServerProcess | null = null;

  async function withSql<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    if (kind === 'pg') {
      const client = new pg.Client({ connectionString: testDb!.url! });
      await client.connect();
      try {
        return await fn(async (text, values) => (await client.query(text, values)).rows);
      } finally {
        await client.end();
      }
    }
    const database = await connectDatabase({ kind: 'pglite', dataDir: dataDir! });
    try {
      return await fn(async (text, values) => (await database.executeRaw(text, values ?? [])).rows);
    } finally {
      await database.close();
    }
  }

  const serve = () => startServer(['--port', '0'], { env });
  const stopServer = async () => {
    const stopped = await server!.stop('SIGTERM');
    server = null;
    expect(stopped.code).toBe(0);
  };

  beforeAll(async () => {
    if (kind === 'pg') {
      testDb = await createTestDatabase('pg');
      env = { SHIPGATE_DATABASE_URL: testDb.url!, SHIPGATE_SEED_DEMO: 'false' };
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipgate-cli-'));
      env = { SHIPGATE_DATA_DIR: dataDir, SHIPGATE_SEED_DEMO: 'false' };
    }
  });

  afterAll(async () => {
    await killAllServers();
    await testDb?.drop().catch(() => undefined);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrate applies the migrations on a fresh database, then finds nothing to do', async () => {
    const first = await runCli(['migrate'], { env });
    expect(first.code, first.stderr).toBe(0);
    const appliedNow = /^Applied: (.+)\n$/.exec(first.stdout)?.[1]?.split(', ') ?? [];
    // a new embedded database may be unpacked from a prepared, already migrated template (dist/pglite-template-*)
    if (kind === 'pg' || appliedNow.length === 0) expect(first.stdout).toMatch(/^(Applied: 0001_foundation(, \w+)*|The database is up to date\.)\n$/);
    if (kind === 'pg') expect(appliedNow[0]).toBe('0001_foundation');
    const again = await runCli(['migrate'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('The database is up to date.\n');
    const recorded = (await withSql((sql) => sql('select name from shipgate_migrations order by name'))).map((r) => r.name as string);
    expect(recorded[0]).toBe('0001_foundation');
    expect(recorded).toEqual(expect.arrayContaining(appliedNow));
    if (kind === 'pg') expect(recorded).toEqual(appliedNow); // all of them, each once, applied by this run
    if (dataDir) expect(fs.existsSync(path.join(dataDir, 'shipgate.lock'))).toBe(false);
  });

  it('creates an admin who can sign in over HTTP, and tokens that work until revoked', async () => {
    const password = 'correct horse battery staple';
    const created = await runCli(['admin', 'create', '--email', 'ada@example.com', '--name', 'Ada Lovelace', '--password-stdin'], { env, input: `${password}\n` });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Created administrator ada@example\.com \([0-9a-f-]{36}\)\.\n$/);

    const duplicate = await runCli(['admin', 'create', '--email', 'ADA@example.com', '--password', 'another long password'], { env });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^error: /);

    const tok = await runCli(['token', 'create', '--user', 'ada@example.com', '--name', 'ci', '--expires-in-days', '7'], { env });
    expect(tok.code, tok.stderr).toBe(0);
    expect(tok.stdout).toMatch(/^sg_[A-Za-z0-9_-]{20,}\n$/); // the secret alone on stdout, for $(shipgate token create …)
    const secret = tok.stdout.trim();
    const tokenId = /Created token ([0-9a-f-]{36})/.exec(tok.stderr)?.[1];
    expect(tokenId, tok.stderr).toBeDefined();
    expect(tok.stderr).toContain('expires');

    const bot = await runCli(['token', 'create', '--user', 'bot@example.com', '--name', 'dashboards', '--service-account', '--role', 'viewer', '--no-expiry'], { env });
    expect(bot.code, bot.stderr).toBe(0);
    expect(bot.stderr).toContain('never expires');
    const botSecret = bot.stdout.trim();

    const nobody = await runCli(['token', 'create', '--user', 'nobody@example.com', '--name', 'x'], { env });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('No user with the e-mail nobody@example.com');

    server = await serve();
    const { url } = server;

    const session = await login(url, 'ada@example.com', password);
    expect(session.status).toBe(200);
    expect(session.body.user).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', roles: ['admin'] });
    const me = await api(url, 'GET', '/api/v1/auth/me', { cookie: session.cookie });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe('ada@example.com');
    expect((await login(url, 'ada@example.com', 'wrong password!!')).status).toBe(401);

    expect((await api(url, 'GET', '/api/v1/auth/me', { token: secret })).body.email).toBe('ada@example.com');
    for (const key of ['billing', 'catalog', 'search', 'checkout', 'ledger']) {
      const r = await api(url, 'POST', '/api/v1/services', { token: secret, body: { key, name: key, tier: 2 } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    expect((await api(url, 'GET', '/api/v1/services', { token: botSecret })).status).toBe(200);
    expect((await api(url, 'POST', '/api/v1/services', { token: botSecret, body: { key: 'nope', name: 'n', tier: 1 } })).status).toBe(403);

    if (kind === 'pglite') {
      // the embedded database has one owner: the CLI cannot open it while the server runs
      const busy = await runCli(['token', 'revoke', tokenId!], { env });
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`already in use by process ${server.pid}`);
      await stopServer();
    }
    const revoked = await runCli(['token', 'revoke', tokenId!], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked token ${tokenId}`);
    if (kind === 'pglite') server = await serve();

    const refused = await api(server!.url, 'GET', '/api/v1/services', { token: secret });
    expect(refused.status).toBe(401);
    expect((await api(server!.url, 'GET', '/api/v1/services', { token: botSecret })).status).toBe(200);
    expect((await login(server!.url, 'ada@example.com', password)).status).toBe(200);
    await stopServer();
  });

  it('audit verify passes on an intact chain and names the first tampered event', async () => {
    const ok = await runCli(['audit', 'verify'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const n = Number(/Audit chain verified: (\d+) events/.exec(ok.stdout)?.[1]);
    const rows = await withSql(async (sql) => sql(`select seq::text as seq, diff from audit_events order by ${await chainOrder(sql)}`));
    expect(n).toBe(rows.length);
    expect(n).toBeGreaterThanOrEqual(8); // admin, 2 tokens + service account, 5 services, revocation

    const middle = rows[Math.floor(rows.length / 2)]!;
    const following = rows[Math.floor(rows.length / 2) + 1]!;
    const brokenAt = (stderr: string) => /BROKEN at event seq (\d+)/.exec(stderr)?.[1];

    // a modified row breaks the chain at exactly that row
    await withSql((sql) => sql(`update audit_events set diff = '{"after":{"name":"evil"}}' where seq = $1`, [middle.seq]));
    const modified = await runCli(['audit', 'verify'], { env });
    expect(modified.code).toBe(1);
    expect(brokenAt(modified.stderr), modified.stderr).toBe(middle.seq);
    expect(modified.stderr).toContain('modified');
    expect(modified.stderr).toContain(`${rows.indexOf(middle)} events before it verified`);

    // putting the original content back makes it verify again: the check is about content, not about the update
    await withSql((sql) => sql('update audit_events set diff = $1::jsonb where seq = $2', [JSON.stringify(middle.diff), middle.seq]));
    const restored = await runCli(['audit', 'verify'], { env });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Audit chain verified: ${n} events`);

    // a deleted row is detected at the row that followed it
    await withSql((sql) => sql('delete from audit_events where seq = $1', [middle.seq]));
    const deleted = await runCli(['audit', 'verify'], { env });
    expect(deleted.code).toBe(1);
    expect(brokenAt(deleted.stderr), deleted.stderr).toBe(following.seq);
    expect(deleted.stderr).toContain('removed');
  });
}

describe('shipgate CLI on embedded PGlite (data dir)', () => cliSuite('pglite'));

// PostgreSQL part: needs a server; skipped when TEST_DATABASE_URL is not set
describe.skipIf(!process.env.TEST_DATABASE_URL)('shipgate CLI on PostgreSQL', () => cliSuite('pg'));
