import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config, type Role } from '../server/config.js';
import { DataDirInUse } from '../server/db/data-dir-lock.js';
import { connectDatabase } from '../server/db/connect.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { DomainError } from '../server/lib/errors.js';
import { systemActor, ROLES, type Role as UserRole } from '../server/modules/identity/permissions.js';
import { createShipgate, VERSION } from '../server/main.js';
import type { Deployment } from '../server/modules/deployments/deployments.schemas.js';
import { DEMO_PASSWORD } from '../server/seed/demo.js';
import { openAdminContext } from './admin-context.js';
import { ClientSetupError, createApiClient, DEFAULT_URL, formatRefusal, RequestRefused, ServerUnavailable, type ApiClient } from './api-client.js';

/**
 * Exit codes: 0 success, 1 the operation failed (e.g. tampered audit chain, a report the server refused),
 * 2 usage or configuration error, 3 the server could not be reached, 4 an invalid value found before calling the server.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 3, invalid: 4 } as const;

class CliFailure extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
  }
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliFailure(err.message, EXIT.usage);
    throw err;
  }
}

async function readPassword(opts: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (opts.passwordStdin) return fs.readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (opts.password) return opts.password;
  const fromEnv = process.env.SHIPGATE_NEW_PASSWORD;
  if (fromEnv) return fromEnv;
  throw new CliFailure('Give the password with --password-stdin (recommended), --password or SHIPGATE_NEW_PASSWORD.', EXIT.usage);
}

async function serve(opts: { role: Role; port?: number }) {
  const cfg = config();
  if (opts.port !== undefined) cfg.port = opts.port;
  const started = Date.now();
  const sg = await createShipgate({ config: cfg, role: opts.role });
  const address = await sg.app.listen({ port: cfg.port, host: cfg.host });
  const url = `http://localhost:${new URL(address).port}`;
  const db = sg.database.kind === 'pglite' ? `embedded PGlite (${cfg.dataDir})` : 'PostgreSQL';
  const lines = [`Shipgate ${VERSION} (${opts.role}) ready on ${url} in ${Date.now() - started} ms — database: ${db}`];
  if (opts.role !== 'worker') lines.push(`  web UI: ${url}/   API docs: ${url}/docs   OpenAPI: ${url}/openapi.json`);
  if (sg.demoLogins) {
    lines.push(`  demo logins (password "${DEMO_PASSWORD}"):`);
    for (const l of sg.demoLogins) lines.push(`    ${l.role.padEnd(16)} ${l.email}`);
  }
  console.log(lines.join('\n'));
  await new Promise<void>((resolve) => {
    let closing = false;
    const stop = (signal: string) => {
      if (closing) return;
      closing = true;
      sg.app.log.info({ signal }, 'shutting down');
      sg.close().then(resolve, (err) => {
        console.error('error during shutdown:', err);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

async function migrate() {
  const cfg = config();
  const database = await connectDatabase(cfg.databaseUrl ? { kind: 'pg', url: cfg.databaseUrl } : { kind: 'pglite', dataDir: cfg.dataDir });
  try {
    const applied = await migrateToLatest(database);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  } finally {
    await database.close();
  }
}

async function withAdmin<T>(fn: (ctx: Awaited<ReturnType<typeof openAdminContext>>) => Promise<T>): Promise<T> {
  const ctx = await openAdminContext(config());
  try {
    return await fn(ctx);
  } finally {
    await ctx.database.close();
  }
}

const TERMINAL_STATUSES = ['succeeded', 'failed', 'canceled', 'rolled_back'];
const COMMIT = /^([0-9a-fA-F]{7,64})(?:@(.+))?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

const DEPLOY_HELP = `
Environment:
  SHIPGATE_TOKEN  API token (required), e.g. from \`shipgate token create --service-account\`. There is
                  no flag for it, so it stays out of process lists and CI logs.
  SHIPGATE_URL    Shipgate base URL (default ${DEFAULT_URL}); --url overrides it.

Output: the deployment id on stdout and a summary on stderr, or the deployment as JSON with --json.
Connection errors and server errors are retried (3 attempts, 10 s timeout each).

Exit codes:
  0  reported (also for a service or environment Shipgate does not know: kept as unmatched)
  1  the server refused the report; its message is printed (e.g. an unknown release)
  2  unknown option or missing required option
  3  Shipgate could not be reached or kept failing
  4  an invalid value or a missing SHIPGATE_TOKEN, found before anything was sent`;

interface DeployOptions {
  service: string;
  env: string;
  version: string;
  pipelineRun?: string;
  pipelineUrl?: string;
  artifact?: string;
  release?: string;
  change?: string;
  commit?: string[];
  id?: string;
  url?: string;
  json?: boolean;
}

const invalid = (message: string) => new CliFailure(`error: ${message}`, EXIT.invalid);

function parseCommit(raw: string): { sha: string; committedAt?: string } {
  const m = COMMIT.exec(raw);
  if (!m) throw invalid(`--commit "${raw}": expected <sha>[@<time>] with a sha of 7 to 64 hex digits`);
  const [, sha, at] = m;
  if (at === undefined) return { sha: sha! };
  if (!RFC3339.test(at) || Number.isNaN(Date.parse(at))) throw invalid(`--commit "${raw}": the time must be RFC 3339 with an offset, e.g. 2026-03-01T12:00:00Z`);
  return { sha: sha!, committedAt: at };
}

/** The same service, environment, version and pipeline run give the same id, so `finish` updates what `start` created. */
function defaultExternalId(o: DeployOptions): string {
  return createHash('sha256').update(JSON.stringify([o.service, o.env, o.version, o.pipelineRun ?? null])).digest('hex').slice(0, 40);
}

function deploymentReport(o: DeployOptions, fields: { status: string; startedAt?: string; finishedAt?: string }) {
  if (o.pipelineUrl !== undefined && !/^https?:\/\/\S+$/.test(o.pipelineUrl)) throw invalid(`--pipeline-url "${o.pipelineUrl}": must be an http or https URL`);
  const commits = (o.commit ?? []).map(parseCommit);
  // undefined fields are left out by JSON.stringify, so the server sees only what was given
  return {
    service: o.service, environment: o.env, version: o.version, ...fields,
    artifact: o.artifact, pipelineRunId: o.pipelineRun, pipelineUrl: o.pipelineUrl, release: o.release, change: o.change,
    commits: commits.length ? commits : undefined,
    source: 'cli', externalId: o.id ?? defaultExternalId(o),
  };
}

function apiClient(url: string | undefined): ApiClient {
  try {
    return createApiClient({ url, userAgent: `shipgate-cli/${VERSION}` });
  } catch (err) {
    if (err instanceof ClientSetupError) throw invalid(err.message);
    throw err;
  }
}

async function reportDeployment(o: DeployOptions, fields: { status: string; startedAt?: string; finishedAt?: string }): Promise<Deployment> {
  const body = deploymentReport(o, fields);
  try {
    return await apiClient(o.url).request<Deployment>('POST', '/api/v1/deployments', body);
  } catch (err) {
    // a rerun of `start` after the deployment finished would start it after its finish: report it without a start time
    if (err instanceof RequestRefused && err.code === 'invalid_times' && fields.status === 'in_progress' && fields.startedAt !== undefined) {
      return reportDeployment(o, { status: fields.status });
    }
    if (err instanceof RequestRefused) throw new CliFailure(formatRefusal(err), EXIT.failed);
    if (err instanceof ServerUnavailable) throw new CliFailure(`error: ${err.message}`, EXIT.unavailable);
    throw err;
  }
}

function printDeployment(d: Deployment, json: boolean | undefined, summary: string) {
  if (json) {
    console.log(JSON.stringify(d, null, 2));
    return;
  }
  console.log(d.id);
  console.error(summary);
  const unknown = [!d.service && `service "${d.serviceRef}"`, !d.environment && `environment "${d.environmentRef}"`].filter(Boolean);
  if (unknown.length) console.error(`note: ${unknown.join(' and ')} not in the Shipgate catalog: the deployment is kept as unmatched until the name is mapped.`);
}

const describeTarget = (d: Deployment) => `${d.service?.key ?? d.serviceRef} ${d.deployedVersion} to ${d.environment?.key ?? d.environmentRef}`;

async function deployStart(o: DeployOptions) {
  const d = await reportDeployment(o, { status: 'in_progress', startedAt: new Date().toISOString() });
  // a start that arrives after the finish (a rerun) never moves the status back
  const summary = d.status === 'in_progress' ? `Started deployment ${d.id}: ${describeTarget(d)}.` : `Deployment ${d.id} (${describeTarget(d)}) has already finished: ${d.status}.`;
  printDeployment(d, o.json, summary);
}

async function deployFinish(o: DeployOptions & { status: string }) {
  if (!TERMINAL_STATUSES.includes(o.status)) throw invalid(`--status "${o.status}": must be one of ${TERMINAL_STATUSES.join(', ')}`);
  const d = await reportDeployment(o, { status: o.status, finishedAt: new Date().toISOString() });
  const took = d.durationSeconds === null ? '' : ` after ${Math.round(d.durationSeconds)} s`;
  printDeployment(d, o.json, `Finished deployment ${d.id}: ${describeTarget(d)}: ${d.status}${took}.`);
}

/** The options `start` and `finish` share: both send the same report, with another status. */
function withReportOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--service <key>', 'service key or id; a name Shipgate does not know is kept as unmatched')
    .requiredOption('--env <key>', 'environment key or id; kept as unmatched when unknown, too')
    .requiredOption('--version <version>', 'the version being deployed')
    .option('--pipeline-run <id>', 'CI run id; part of the default --id, so each run is its own deployment')
    .option('--pipeline-url <url>', 'link to the CI run')
    .option('--artifact <artifact>', 'what is deployed, e.g. an image reference')
    .option('--release <key>', 'the release it belongs to (key or id; must exist)')
    .option('--change <number>', 'the change that covers it, e.g. CHG0000123 (must exist)')
    .option('--commit <sha[@time]>', 'a commit it deploys, optionally with its RFC 3339 commit time; repeatable', (v: string, all: string[] = []) => [...all, v])
    .option('--id <externalId>', 'the id start and finish share (default: derived from service, env, version and pipeline run)')
    .option('--url <url>', `Shipgate base URL (default SHIPGATE_URL, else ${DEFAULT_URL})`)
    .option('--json', 'print the deployment as JSON instead of its id and a summary')
    .addHelpText('after', DEPLOY_HELP);
}

export function buildProgram(): Command {
  const program = new Command('shipgate')
    .description('Shipgate — release and change management')
    .version(VERSION)
    .showHelpAfterError()
    // program options only before a command: `deploy start --version 1.2.3` is the deployed version, not ours
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('serve')
    .description('Run the server (API, web UI and workers). Configured by SHIPGATE_* environment variables; see README.')
    .addOption(new Option('--role <role>', 'what this process runs').choices(['all', 'api', 'worker']).default('all'))
    .option('--port <port>', 'listen port (default SHIPGATE_PORT or 3000)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be 0–65535');
      return n;
    })
    .action(serve);

  program.command('migrate').description('Apply pending database migrations, then exit').action(migrate);

  const admin = program.command('admin').description('Administer users');
  admin
    .command('create')
    .description('Create an administrator account')
    .requiredOption('--email <email>', 'e-mail used to sign in')
    .option('--name <name>', 'display name', 'Administrator')
    .option('--password <password>', 'password (visible to other local users: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (opts: { email: string; name: string; password?: string; passwordStdin?: boolean }) => {
      const password = await readPassword(opts);
      await withAdmin(async ({ identity }) => {
        const user = await identity.createUser(systemActor('cli'), { email: opts.email, name: opts.name, password, roles: ['admin'] });
        console.log(`Created administrator ${user.email} (${user.id}).`);
      });
    });

  const token = program.command('token').description('Manage API tokens');
  token
    .command('create')
    .description('Create an API token for a user or service account and print it once')
    .requiredOption('--user <email>', 'owner of the token')
    .requiredOption('--name <name>', 'what the token is for, e.g. "jenkins"')
    .option('--expires-in-days <days>', 'lifetime in days', positiveInt, 90)
    .option('--no-expiry', 'a token that never expires')
    .option('--service-account', 'create the owner as a service account if it does not exist')
    .addOption(new Option('--role <role>', 'role of a new service account').choices([...ROLES]).default('developer'))
    .action(async (opts: { user: string; name: string; expiresInDays: number; expiry: boolean; serviceAccount?: boolean; role: UserRole }) => {
      await withAdmin(async ({ identity, identityRepo, db }) => {
        let owner = await identityRepo.userByEmail(db, opts.user);
        if (!owner && opts.serviceAccount) {
          await identity.createUser(systemActor('cli'), { email: opts.user, name: opts.user, roles: [opts.role], serviceAccount: true });
          owner = await identityRepo.userByEmail(db, opts.user);
        }
        if (!owner) throw new CliFailure(`No user with the e-mail ${opts.user}. Use --service-account to create a service account.`);
        const actor = { ...systemActor('cli'), id: owner.id, name: 'cli' };
        const { token: t, secret } = await identity.createToken(actor, { name: opts.name, expiresInDays: opts.expiry ? opts.expiresInDays : null, userId: owner.id });
        console.error(`Created token ${t.id} (${t.kind}) for ${owner.email}${t.expires_at ? `, expires ${t.expires_at.toISOString()}` : ', never expires'}. It is shown once:`);
        console.log(secret);
      });
    });
  token
    .command('revoke')
    .description('Revoke an API token')
    .argument('<id>', 'token id')
    .action(async (id: string) => {
      await withAdmin(async ({ identity }) => {
        await identity.revokeToken(systemActor('cli'), id);
        console.log(`Revoked token ${id}.`);
      });
    });

  const audit = program.command('audit').description('Audit log');
  audit
    .command('verify')
    .description('Recompute the audit hash chain; exit 1 and name the first tampered event if it does not verify')
    .action(async () => {
      await withAdmin(async ({ audit: svc }) => {
        const result = await svc.verify();
        if (!result.ok) {
          const bad = result.firstInvalid!;
          throw new CliFailure(`Audit chain is BROKEN at event seq ${bad.seq} (id ${bad.id}): ${bad.reason}. ${result.checked} events before it verified.`);
        }
        console.log(`Audit chain verified: ${result.checked} events, no tampering found.`);
      });
    });

  const deploy = program.command('deploy').description('Report deployments from a pipeline (API token in SHIPGATE_TOKEN)');
  withReportOptions(deploy.command('start').description('Report that a deployment has started (status in_progress)')).action(deployStart);
  withReportOptions(
    deploy
      .command('finish')
      .description('Report how a deployment ended; creates the deployment when no start was reported')
      .requiredOption('--status <status>', `how it ended: ${TERMINAL_STATUSES.join(', ')}`),
  ).action(deployFinish);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof CliFailure) {
      console.error(err.message);
      return err.exitCode;
    }
    if (err instanceof DataDirInUse || err instanceof DomainError) {
      console.error(`error: ${err.message}`);
      return EXIT.failed;
    }
    console.error(err);
    return EXIT.failed;
  }
}
