import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/server/modules/audit/audit.chain.js';
import { api, killAllServers, mapLimit, runCli, spawnServer, startServer, type ServerProcess } from '../helpers/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * Scale-out: several real `shipgate serve` processes on one PostgreSQL database, coordinating only
 * through Postgres. Needs a PostgreSQL server, so the whole file is skipped when TEST_DATABASE_URL is
 * not set (PGlite is single-process by design: a second process is refused, see lifecycle.test.ts).
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('several server processes on one PostgreSQL database', () => {
  const dbs: TestDatabase[] = [];
  let testDb: TestDatabase;
  let client: pg.Client;
  let nodeAll: ServerProcess;
  let nodeApi: ServerProcess;
  let token: string;
  const env = () => ({ SHIPGATE_DATABASE_URL: testDb.url!, SHIPGATE_SEED_DEMO: 'false', SHIPGATE_LOG_LEVEL: 'error' });

  beforeAll(async () => {
    testDb = await createTestDatabase('pg');
    dbs.push(testDb);
    const created = await runCli(['admin', 'create', '--email', 'ops@example.com', '--name', 'Ops', '--password-stdin'], { env: env(), input: 'a long enough password\n' });
    expect(created.code, created.stderr).toBe(0);
    const tok = await runCli(['token', 'create', '--user', 'ops@example.com', '--name', 'load-test', '--expires-in-days', '1'], { env: env() });
    expect(tok.code, tok.stderr).toBe(0);
    token = tok.stdout.trim();
    expect(token).toMatch(/^sg_\S+$/);
    [nodeAll, nodeApi] = await Promise.all([
      startServer(['--role', 'all', '--port', '0'], { env: env() }),
      startServer(['--role', 'api', '--port', '0'], { env: env() }),
    ]);
    client = new pg.Client({ connectionString: testDb.url! });
    await client.connect();
  });

  afterAll(async () => {
    await killAllServers();
    await client?.end().catch(() => undefined);
    for (const d of dbs) await d.drop().catch(() => undefined);
  });

  it('loses no write, never answers 5xx and keeps one linear audit chain under concurrent writes through both nodes', async () => {
    const nodes = [nodeAll, nodeApi];
    const statuses: { node: string; op: string; status: number; body: unknown }[] = [];
    const call = async (node: ServerProcess, op: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const res = await api(node.url, method, path, { token, body, headers });
      statuses.push({ node: node === nodeAll ? 'all' : 'api', op, status: res.status, body: res.body });
      return res;
    };

    // 1. 2 × 100 creations, in parallel on both nodes, 8 in flight per node
    const createdKeys: string[] = [];
    await Promise.all(
      nodes.map((node, n) =>
        mapLimit(Array.from({ length: 100 }, (_, i) => i), 8, async (i) => {
          const key = `svc-${n}-${String(i).padStart(3, '0')}`;
          const res = await call(node, 'create', 'POST', '/api/v1/services', { key, name: `Service ${n}/${i}`, tier: (i % 4) + 1 });
          if (res.status === 201) createdKeys.push(key);
        }),
      ),
    );
    expect(createdKeys).toHaveLength(200);

    // 2. the same key created through both nodes at the same moment: exactly one wins, the other gets 409
    const raceKeys = Array.from({ length: 15 }, (_, i) => `race-${i}`);
    const races = await mapLimit(raceKeys, 5, (key) =>
      Promise.all(nodes.map((node) => call(node, 'create-race', 'POST', '/api/v1/services', { key, name: key, tier: 2 }))),
    );
    for (const [i, pair] of races.entries()) {
      expect(pair.map((r) => r.status).sort(), raceKeys[i]).toEqual([201, 409]);
      createdKeys.push(raceKeys[i]!);
    }

    // 3. contention: unconditional PATCHes of the same services through both nodes all apply, one after another
    const hot = createdKeys.slice(0, 20);
    const patchJobs = hot.flatMap((key) => Array.from({ length: 6 }, (_, j) => ({ key, j })));
    const patches = await mapLimit(patchJobs, 12, ({ key, j }) =>
      call(nodes[j % 2]!, 'patch', 'PATCH', `/api/v1/services/${key}`, { name: `${key} rev ${j}`, description: `written by ${j % 2 ? 'api' : 'all'}` }),
    );
    expect(patches.map((p) => p.status).filter((s) => s !== 200)).toEqual([]);
    for (const key of hot) {
      const got = await api(nodeApi.url, 'GET', `/api/v1/services/${key}`, { token });
      expect(got.body.version).toBe(1 + 6); // every patch bumped the version exactly once
    }

    // 4. optimistic concurrency: both nodes PATCH with the same If-Match: exactly one 200, the other 412
    const cas = hot.slice(0, 10);
    const casResults = await Promise.all(
      cas.map(async (key) => {
        const { body } = await api(nodeAll.url, 'GET', `/api/v1/services/${key}`, { token });
        return Promise.all(nodes.map((node, n) => call(node, 'patch-if-match', 'PATCH', `/api/v1/services/${key}`, { tier: n + 1 }, { 'if-match': `"${body.version}"` })));
      }),
    );
    for (const pair of casResults) expect(pair.map((r) => r.status).sort()).toEqual([200, 412]);

    // 5. a dependency cycle attempted from both sides at once (a → b on one node, b → a on the other): at most one
    // may succeed, so the graph stays acyclic across processes
    const pairs = Array.from({ length: 10 }, (_, i) => [createdKeys[100 + 2 * i]!, createdKeys[101 + 2 * i]!] as const);
    const cycleResults = await Promise.all(
      pairs.map(([a, b]) =>
        Promise.all([
          call(nodeAll, 'patch-deps', 'PATCH', `/api/v1/services/${a}`, { dependsOn: [b] }),
          call(nodeApi, 'patch-deps', 'PATCH', `/api/v1/services/${b}`, { dependsOn: [a] }),
        ]),
      ),
    );
    for (const pair of cycleResults) expect(pair.map((r) => r.status).sort(), nodeAll.output() + nodeApi.output()).toEqual([200, 422]);
    const twoCycles = await client.query(
      'select count(*)::int as n from service_dependencies d1 join service_dependencies d2 on d1.service_id = d2.depends_on_id and d1.depends_on_id = d2.service_id',
    );
    expect(twoCycles.rows[0].n).toBe(0);

    // no 5xx, and nothing but the statuses expected above
    expect(statuses.filter((s) => s.status >= 500), nodeAll.output() + nodeApi.output()).toEqual([]);
    const counts = (op: string, status: number) => statuses.filter((s) => s.op === op && s.status === status).length;
    const successfulWrites =
      counts('create', 201) + counts('create-race', 201) + counts('patch', 200) + counts('patch-if-match', 200) + counts('patch-deps', 200);
    expect(successfulWrites).toBe(200 + 15 + 120 + 10 + 10);

    // every 201 is a row, and there is no row without a 201
    const rows = await client.query<{ key: string }>('select key from services order by key');
    expect(rows.rows.map((r) => r.key)).toEqual([...createdKeys].sort());
    // ... and the API of either node lists them all (keyset pagination over 215 rows)
    for (const node of nodes) {
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await api(node.url, 'GET', `/api/v1/services?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(page.status).toBe(200);
        listed.push(...page.body.items.map((s: { key: string }) => s.key));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(listed).toEqual([...createdKeys].sort());
    }

    // one audit event per successful write (failed writes roll theirs back), on top of the CLI's own events
    const audited = await client.query<{ action: string; n: number }>(`select action, count(*)::int as n from audit_events where entity_type = 'service' group by action`);
    expect(Object.fromEntries(audited.rows.map((r) => [r.action, r.n]))).toEqual({ 'service.created': 215, 'service.updated': 140 });
    const total = (await client.query('select count(*)::int as n from audit_events')).rows[0].n as number;
    expect(total).toBeGreaterThanOrEqual(successfulWrites);

    // Events are either chained inside the writing transaction (ordered by seq) or written unsealed and
    // sealed into the chain after commit by a background sealer in each process (ordered by chain_seq).
    const sealedAfterCommit =
      (await client.query(`select 1 from information_schema.columns where table_name = 'audit_events' and column_name = 'chain_seq'`)).rowCount === 1;
    if (sealedAfterCommit) {
      // the nodes' background sealers seal everything, without anyone calling verify
      let unsealed = -1;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 200))) {
        unsealed = (await client.query('select count(*)::int as n from audit_events where hash is null')).rows[0].n;
        if (unsealed === 0) break;
      }
      expect(unsealed).toBe(0);
    }
    const position = sealedAfterCommit ? 'chain_seq' : 'seq';

    // the chain is linear: positions strictly increasing (1, 2, 3… when sealed after commit), each prev_hash is
    // the previous event's hash, no fork (no two events with the same predecessor)
    const chain = await client.query<{ seq: string; pos: string; prev_hash: string; hash: string }>(
      `select seq, ${position} as pos, prev_hash, hash from audit_events order by ${position}`,
    );
    expect(chain.rows).toHaveLength(total);
    let prev = GENESIS_HASH;
    let prevPos = 0n;
    for (const row of chain.rows) {
      if (sealedAfterCommit) expect(BigInt(row.pos), `chain position of seq ${row.seq}`).toBe(prevPos + 1n);
      else expect(BigInt(row.pos) > prevPos, `seq ${row.seq}`).toBe(true);
      expect(row.prev_hash, `prev_hash of seq ${row.seq}`).toBe(prev);
      prev = row.hash;
      prevPos = BigInt(row.pos);
    }
    expect(new Set(chain.rows.map((r) => r.prev_hash)).size).toBe(total);
    expect(new Set(chain.rows.map((r) => r.seq)).size).toBe(total);

    // both nodes and the CLI verify it
    for (const node of nodes) {
      const v = await api(node.url, 'POST', '/api/v1/audit/verify', { token });
      expect(v.body).toEqual({ ok: true, checked: total, firstInvalid: null });
    }
    const verify = await runCli(['audit', 'verify'], { env: env() });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`Audit chain verified: ${total} events`);

    // the domain events sent by the API-only node are processed by the worker of the other node
    const deadline = Date.now() + 30_000;
    let pending = -1;
    while (Date.now() < deadline) {
      const r = await client.query(`select count(*) filter (where state <> 'completed')::int as pending, count(*)::int as total from pgboss.job where name = 'domain-events'`);
      pending = r.rows[0].pending;
      if (pending === 0) {
        expect(r.rows[0].total).toBe(successfulWrites);
        break;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(pending).toBe(0);
  });

  it('migrates safely when several processes start at the same moment on a brand-new database', async () => {
    const fresh = await createTestDatabase('pg');
    dbs.push(fresh);
    const freshEnv = { SHIPGATE_DATABASE_URL: fresh.url!, SHIPGATE_SEED_DEMO: 'false' };
    const spawned = [spawnServer(['--role', 'all', '--port', '0'], { env: freshEnv }), spawnServer(['--role', 'api', '--port', '0'], { env: freshEnv }), spawnServer(['--role', 'worker', '--port', '0'], { env: freshEnv })];
    const migrate = runCli(['migrate'], { env: freshEnv });
    const servers = await Promise.all(spawned.map((s) => s.ready));
    const migrated = await migrate;
    expect(migrated.code, migrated.stderr).toBe(0);
    for (const s of servers) {
      const health = await api(s.url, 'GET', '/readyz');
      expect(health.status, s.output()).toBe(200);
    }
    const c = new pg.Client({ connectionString: fresh.url! });
    await c.connect();
    try {
      const applied = await c.query('select name from shipgate_migrations order by name');
      expect(applied.rows[0]?.name).toBe('0001_foundation');
      const queues = await c.query(`select name from pgboss.queue order by name`);
      expect(queues.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['domain-events', 'housekeeping']));
    } finally {
      await c.end();
    }
    // nothing was left half-done: another migrate finds the schema complete
    const after = await runCli(['migrate'], { env: freshEnv });
    expect(after.stdout).toBe('The database is up to date.\n');
    const stopped = await Promise.all(servers.map((s) => s.stop('SIGTERM')));
    expect(stopped.map((s) => s.code)).toEqual([0, 0, 0]);
  });
});
