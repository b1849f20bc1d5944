import fs from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig, type Config, type Role } from '../server/config.js';
import { DataDirInUse } from '../server/db/data-dir-lock.js';
import { connectDatabase } from '../server/db/connect.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { DomainError } from '../server/lib/errors.js';
import { systemActor, ROLES, type Role as UserRole } from '../server/modules/identity/permissions.js';
import { createShipgate, VERSION } from '../server/main.js';
import { DEMO_PASSWORD } from '../server/seed/demo.js';
import { openAdminContext } from './admin-context.js';

/** Exit codes: 0 success, 1 the operation failed (e.g. tampered audit chain), 2 usage or configuration error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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

export function buildProgram(): Command {
  const program = new Command('shipgate')
    .description('Shipgate — release and change management')
    .version(VERSION)
    .showHelpAfterError()
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
